/*
 * ussl_lock.h - the one lock the core needs (a context's session cache is
 * shared by the threads using the context): a pthread mutex on POSIX
 * hosts, nothing where there are no threads (bare-metal MicroPython
 * ports; define USSL_NO_THREADS to force that).
 */
#ifndef USSL_LOCK_H
#define USSL_LOCK_H

#if !defined(USSL_NO_THREADS) && (defined(__unix__) || defined(__APPLE__))
#include <pthread.h>

typedef pthread_mutex_t ussl_lock_t;
#define USSL_LOCK_STATIC(name) \
	static pthread_mutex_t name = PTHREAD_MUTEX_INITIALIZER
#define ussl_lock_init(l) (pthread_mutex_init((l), NULL) == 0 ? 0 : -1)
#define ussl_lock_free(l) ((void)pthread_mutex_destroy(l))
#define ussl_lock(l) ((void)pthread_mutex_lock(l))
#define ussl_unlock(l) ((void)pthread_mutex_unlock(l))
#else
typedef int ussl_lock_t;
#define USSL_LOCK_STATIC(name) static int name
#define ussl_lock_init(l) ((void)(l), 0)
#define ussl_lock_free(l) ((void)(l))
#define ussl_lock(l) ((void)(l))
#define ussl_unlock(l) ((void)(l))
#endif

#endif /* USSL_LOCK_H */
