/*
 * banned.h — functions we do not use, and what to use instead. Included last
 * in every .c file of ours (after the system headers, which declare them), so
 * a use turns into a compile error naming this file.
 *
 *   strcpy, strcat, sprintf, vsprintf  unbounded: use snprintf / memcpy with a size
 *   strncpy, strncat                   silently truncate or fail to terminate
 *   gets                               cannot be used safely
 *   strtok                             hidden global state: use strtok_r or a scanner
 *   atoi, atol                         no error reporting: use strtol/strtoull and check
 *   rand, srand                        not random: use randombytes_buf (libsodium)
 */
#ifndef SIGIL_BANNED_H
#define SIGIL_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_see_lib_banned_h

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef rand
#define rand() BANNED(rand)
#undef srand
#define srand(x) BANNED(srand)

#endif
