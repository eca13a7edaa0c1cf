/*
 * threads.c - two threads, one libeel loop each, running the same chain.
 * Group ids are per loop, so both threads' first group has the same id:
 * eelgdb must follow the thread it stepped in, not the other one.  The
 * worker ticks every 100 ms, so its chain runs while the main thread waits
 * 2 s for its second tick (wide margins: time spent stepping counts too).
 */
#include <eel.h>
#include <pthread.h>
#include <stdio.h>

static __thread int ticks;
static __thread int interval_ms;
int worker_ticks; /* the tests read these */
int main_ticks;

static void on_tick(eel_group_id gid, void *arg, int fd)
{
    int *total = arg;
    (void)fd;
    ++*total;
    if (++ticks < 3)
        eel_add_timer(gid, on_tick, arg, interval_ms); /* REG:tick */
    else
        eel_delete_group_id(gid);
}

static void run_chain(int *total, int every_ms)
{
    interval_ms = every_ms;
    if (eel_init() < 0) {
        perror("eel_init");
        return;
    }
    eel_group_id g = eel_new_group_id();
    eel_add_timer(g, on_tick, total, 0);
    eel_dispatch();
    eel_shutdown();
}

static void *worker(void *arg)
{
    (void)arg;
    run_chain(&worker_ticks, 100);
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    run_chain(&main_ticks, 2000);
    pthread_join(t, NULL);
    printf("ticks: worker %d, main %d\n", worker_ticks, main_ticks);
    return 0;
}
