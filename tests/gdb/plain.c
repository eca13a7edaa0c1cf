/* plain.c - a program without libeel: eelgdb must refuse it clearly. */
#include <stdio.h>

int main(void)
{
    printf("no events here\n");
    return 0;
}
