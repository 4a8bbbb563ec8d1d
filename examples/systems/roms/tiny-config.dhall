-- The reader's configuration: handed to it as CBOR in /rom/config.
{ greeting = "Greeting", retries = 3, verbose = False }
