/*
 * save.c - mirroring fetched pages into the output directory.
 *
 * The name comes from the canonical URL, whose path has no "." or ".."
 * segments and whose escapes stay escaped (a "%2F" never becomes a '/'),
 * so a page can never be written outside its host's directory.
 */
#include "save.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *save_relpath(const struct url *u)
{
    struct buf b = {0};
    int rc = url_add_authority(&b, u);
    /* Collapse empty segments ("//") so they cannot make absolute paths. */
    for (const char *p = u->path; rc == 0 && *p; p++)
        if (!(*p == '/' && b.len > 0 && b.data[b.len - 1] == '/'))
            rc = buf_addc(&b, *p);
    if (rc == 0 && b.data[b.len - 1] == '/')
        rc = buf_adds(&b, "index.html");
    if (rc == 0 && u->query) {
        rc = buf_addc(&b, '?');
        for (const char *q = u->query; rc == 0 && *q; q++)
            rc = *q == '/' ? buf_adds(&b, "%2F") : buf_addc(&b, *q);
    }
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

/* mkdir -p for every directory above the file at path. */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        int err = errno;
        struct stat st;
        if (rc < 0 && err == EEXIST && stat(path, &st) == 0 &&
            !S_ISDIR(st.st_mode))
            err = ENOTDIR, rc = -1;
        else if (rc < 0 && err == EEXIST)
            rc = 0;
        *p = '/';
        if (rc < 0) {
            errno = err;
            return -1;
        }
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int save_page(const char *dir, const struct url *u, const void *data,
              size_t len, char **path_out)
{
    char *rel = save_relpath(u);
    struct buf full = {0};
    int rc = -1, err = ENOMEM;
    if (rel && buf_printf(&full, "%s/%s", dir, rel) == 0) {
        rc = make_parents(full.data);
        int fd = rc < 0 ? -1
                        : open(full.data,
                               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            rc = -1;
        } else {
            rc = write_all(fd, data, len);
            err = errno;
            if (close(fd) < 0 && rc == 0)
                rc = -1;
        }
        if (rc < 0)
            err = errno;
    }
    free(rel);
    if (rc == 0 && path_out)
        *path_out = buf_take(&full);
    buf_free(&full);
    if (rc < 0)
        errno = err;
    return rc;
}
