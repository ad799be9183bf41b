/*
 * moodmusic-serve — the read server: answers the HTTP API of docs/http-api.md
 * from the current snapshot and follows `current` as the pipeline publishes.
 * Exit codes: 0 clean shutdown (SIGTERM/SIGINT), 1 runtime failure, 2 usage
 * or config error.
 */
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "serve/handlers.h"
#include "serve/router.h"
#include "serve/server.h"
#include "serve/snap_holder.h"

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define MAX_SETS 256

static const char usage[] =
    "usage: moodmusic-serve [-c CONFIG] [--set KEY.PATH=VALUE]... [--listen ADDR:PORT]\n"
    "                       [--threads N]\n"
    "\n"
    "Serves the HTTP API (docs/http-api.md) from <paths.snapshots>/current and\n"
    "switches to a new snapshot when `current` changes. Prints one line once it\n"
    "listens; SIGTERM or SIGINT finishes the requests in flight and exits 0.\n"
    "\n"
    "  -c, --config CONFIG     config file (default: $MOODMUSIC_CONFIG, else ./moodmusic.json)\n"
    "  --set KEY.PATH=VALUE    override a config key (VALUE read as JSON when it parses)\n"
    "  --listen ADDR:PORT      override serve.listen (port 0: any free port)\n"
    "  --threads N             override serve.threads\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit codes: 0 clean shutdown, 1 runtime failure, 2 usage or config error.\n";

struct args {
    const char *config;
    const char *sets[MAX_SETS + 2];
    size_t n_sets;
    char *listen_set, *threads_set; /* "serve.listen=..." built from the options */
};

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "moodmusic-serve: %s%s\n\n%s", msg, arg, usage);
    return EXIT_USAGE;
}

/* An override KEY=VALUE with VALUE as a JSON string, so that it is never
 * read as a number or keyword. Caller frees with free(). */
static char *string_set(const char *key, const char *value)
{
    json_t *s = json_string(value);
    char *json = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    char *set = mm_xasprintf("%s=%s", key, json ? json : value);
    free(json);
    json_decref(s);
    return set;
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
        {"listen", required_argument, NULL, 'l'}, {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->config = optarg; break;
        case 's':
            if (a->n_sets == MAX_SETS)
                return usage_error("more than 256 --set options", "");
            a->sets[a->n_sets++] = optarg;
            break;
        case 'l':
            free(a->listen_set);
            a->listen_set = string_set("serve.listen", optarg);
            break;
        case 't':
            free(a->threads_set);
            a->threads_set = mm_xasprintf("serve.threads=%s", optarg);
            break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument: ", argv[optind]);
    if (a->listen_set)
        a->sets[a->n_sets++] = a->listen_set;
    if (a->threads_set)
        a->sets[a->n_sets++] = a->threads_set;
    return -1;
}

/* Runs the server until SIGTERM/SIGINT; `sigs` are blocked in every thread. */
static int run(const struct mm_config *cfg, sigset_t *sigs)
{
    char err[MM_ERRLEN];
    struct mm_snap_holder *holder;
    struct mm_router *router;
    struct mm_server *server;
    int sig, rc = EXIT_FAILED;
    char first_err[MM_ERRLEN];
    mm_snap_holder_open(cfg->paths.snapshots, (unsigned)cfg->serve.threads, &holder);
    mm_err first = mm_snap_holder_poll(holder, first_err); /* failures are logged */
    mm_err e = mm_router_new(mm_handlers_routes, mm_handlers_n_routes, &router, err);
    if (e) {
        fprintf(stderr, "moodmusic-serve: %s\n", err);
        goto out_close_holder;
    }
    struct mm_server_options opt = {
        .listen = cfg->serve.listen,
        .threads = cfg->serve.threads,
        .max_connections = cfg->serve.max_connections,
        .idle_timeout_ms = cfg->serve.idle_timeout_ms,
        .header_timeout_ms = cfg->serve.header_timeout_ms,
    };
    e = mm_server_open(&opt, router, holder, &server, err);
    if (e) {
        fprintf(stderr, "moodmusic-serve: %s\n", err);
        rc = e == MM_EINVAL ? EXIT_USAGE : EXIT_FAILED;
        goto out_free_router;
    }
    const char *id = mm_snap_holder_active_id(holder);
    if (mm_server_start(server) != MM_OK ||
        mm_snap_holder_start(holder, cfg->serve.reload_poll_ms, mm_server_wake, server) != MM_OK) {
        fprintf(stderr, "moodmusic-serve: cannot start threads\n");
        goto out_stop_server;
    }
    printf("moodmusic-serve: listening on http://%s (%s%s)\n", mm_server_address(server),
           id ? "snapshot " : "no snapshot", id ? id : "");
    fflush(stdout);
    mm_log_fields(MM_LOG_INFO,
                  json_pack("{s:s, s:i, s:s?, s:s?}", "address", mm_server_address(server),
                            "threads", cfg->serve.threads, "snapshot", id, "snapshot_error",
                            first ? first_err : NULL),
                  "listening on http://%s", mm_server_address(server));
    sigwait(sigs, &sig);
    mm_log_info("%s received: finishing the requests in flight", strsignal(sig));
    rc = EXIT_OK;

out_stop_server:
    mm_snap_holder_stop(holder);
    mm_server_stop(server);
    mm_server_wait(server);
    mm_server_close(server);
out_free_router:
    mm_router_free(router);
out_close_holder:
    mm_snap_holder_close(holder);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a = {0};
    struct mm_config *cfg = NULL;
    struct mm_buf errors;
    char log_err[MM_ERRLEN];
    sigset_t sigs;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        goto out_free_args;
    mm_buf_init(&errors, 1 << 20);
    if (mm_config_load(a.config, a.sets, a.n_sets, &cfg, &errors) != MM_OK) {
        fputs(errors.len ? errors.data : "config error: cannot load the config\n", stderr);
        mm_buf_cleanup(&errors);
        rc = EXIT_USAGE;
        goto out_free_args;
    }
    mm_buf_cleanup(&errors);
    if (mm_log_open(cfg->log.file, cfg->log.level, log_err) != MM_OK) {
        fprintf(stderr, "moodmusic-serve: %s\n", log_err);
        rc = EXIT_USAGE;
        goto out_free_config;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    rc = run(cfg, &sigs);
    mm_log_close();

out_free_config:
    mm_config_free(cfg);
out_free_args:
    free(a.listen_set);
    free(a.threads_set);
    return rc;
}
