/* moodmusic — the pipeline CLI (DESIGN.md §3). Parses options, loads the
 * config and dispatches to the command functions of pipeline/. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "pipeline/runner.h"
#include "pipeline/snapshot_cmd.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_LOCKED = 3 };

#define MAX_SETS 256

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char usage_main[] =
    "usage: moodmusic [-c CONFIG] [--set KEY.PATH=VALUE]... COMMAND [ARGS]\n"
    "\n"
    "The nightly pipeline of moodmusic: ingest the app's request history and\n"
    "publish an immutable snapshot for moodmusic-serve.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE     config file (default: $MOODMUSIC_CONFIG, else ./moodmusic.json)\n"
    "  --set KEY.PATH=VALUE  override one config key (VALUE read as JSON when it parses)\n"
    "  -h, --help            this help; COMMAND --help for a command's\n"
    "  --version             print the version\n"
    "\n"
    "commands:\n"
    "  config check          validate the config and print it resolved, secrets redacted\n"
    "  config doc            print the reference table of every config key (Markdown)\n"
    "  run                   run the pipeline stages (incremental; resumes an unfinished run)\n"
    "  status                recent runs, per-stage state, counts and timings\n"
    "  snapshot list|verify [ID]|rollback ID|gc\n"
    "                        inspect and manage published snapshots\n"
    "\n"
    "exit codes: 0 ok, 1 a stage failed, 2 usage or config error, 3 another run holds the lock\n";

static const char usage_run[] =
    "usage: moodmusic run [--from STAGE] [--to STAGE] [--only STAGE] [--full]\n"
    "\n"
    "Runs the stages in order. Incremental by default: records at or below the\n"
    "stored watermarks are skipped. When the previous run did not finish (failure,\n"
    "interruption, kill -9) and this run selects the same stages, it resumes that\n"
    "run from the unfinished stage.\n"
    "\n"
    "  --from STAGE   start at STAGE\n"
    "  --to STAGE     stop after STAGE\n"
    "  --only STAGE   run just STAGE\n"
    "  --full         ignore watermarks: re-examine every input record (idempotent)\n";

static const char usage_status[] =
    "usage: moodmusic status [--limit N] [--json]\n"
    "\n"
    "Shows the most recent runs (default 10): status, attempts, and per stage its\n"
    "status, duration and counts. --json prints one run manifest per line.\n";

static const char usage_config[] =
    "usage: moodmusic config check | config doc\n"
    "\n"
    "  check   validate the config; print it with defaults filled in and secrets redacted\n"
    "  doc     print the Markdown reference of every key (docs/config.md is made from it)\n";

static const char usage_snapshot[] =
    "usage: moodmusic snapshot list | verify [ID] | rollback ID | gc\n"
    "\n"
    "  list         published snapshots, oldest first; * marks current\n"
    "  verify [ID]  check sizes and sha256 of every file of ID (default: current)\n"
    "  rollback ID  verify ID, then switch current to it atomically\n"
    "  gc           remove snapshots beyond publish.keep (never current or its predecessor)\n";

/* The stages in run order, each with its one-line summary. */
static void print_stages(FILE *out)
{
    fputs("\nstages, in order:\n", out);
    for (size_t i = 0; i < mm_n_stages; i++)
        fprintf(out, "  %-10s %s\n", mm_stages[i]->name, mm_stages[i]->summary);
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "moodmusic: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage);
    return EXIT_USAGE;
}

static int exit_code(mm_err err)
{
    switch (err) {
    case MM_OK: return EXIT_OK;
    case MM_EINVAL: return EXIT_USAGE;
    case MM_ELOCKED: return EXIT_LOCKED;
    default: return EXIT_FAILED;
    }
}

static int cmd_config(const struct mm_config *cfg, int argc, char **argv)
{
    argc--, argv++;
    if (argc != 1)
        return usage_error(usage_config, "config takes one of: check, doc%s", "");
    if (strcmp(argv[0], "check") == 0) {
        char *dump = mm_config_dump(cfg);
        printf("%s\nconfig ok: %s\n", dump, cfg->file);
        free(dump);
        return EXIT_OK;
    }
    return usage_error(usage_config, "unknown config command '%s'", argv[0]);
}

static int cmd_run(const struct mm_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"only", required_argument, NULL, 'o'},
                                         {"full", no_argument, NULL, 'F'},
                                         {NULL, 0, NULL, 0}};
    struct mm_run_options ro = {0};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'f': ro.from = optarg; break;
        case 't': ro.to = optarg; break;
        case 'o': ro.only = optarg; break;
        case 'F': ro.full = true; break;
        default: return usage_error(usage_run, "bad option for run%s", "");
        }
    }
    if (optind < argc)
        return usage_error(usage_run, "unexpected argument '%s'", argv[optind]);
    if (ro.only && (ro.from || ro.to))
        return usage_error(usage_run, "--only cannot be combined with --from/--to%s", "");
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return exit_code(mm_runner_run(cfg, &ro, &stop_requested));
}

static int cmd_status(const struct mm_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {{"limit", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    long limit = 10;
    bool json = false;
    int c;
    char *end;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            limit = strtol(optarg, &end, 10);
            if (*end || limit < 1 || limit > 100000)
                return usage_error(usage_status, "--limit: expected an integer 1..100000, got '%s'",
                                   optarg);
            break;
        case 'j': json = true; break;
        default: return usage_error(usage_status, "bad option for status%s", "");
        }
    }
    if (optind < argc)
        return usage_error(usage_status, "unexpected argument '%s'", argv[optind]);
    mm_err err = mm_runner_print_status(cfg, (size_t)limit, json, stdout);
    if (err)
        fprintf(stderr, "moodmusic: status: %s\n", mm_strerror(err));
    return exit_code(err);
}

static int cmd_snapshot(const struct mm_config *cfg, int argc, char **argv)
{
    argc--, argv++;
    if (argc < 1)
        return usage_error(usage_snapshot, "snapshot needs a command%s", "");
    const char *sub = argv[0];
    mm_err err;
    if (strcmp(sub, "list") == 0 && argc == 1)
        err = mm_snapshot_cmd_list(cfg, stdout);
    else if (strcmp(sub, "verify") == 0 && argc <= 2)
        err = mm_snapshot_cmd_verify(cfg, argc == 2 ? argv[1] : NULL, stdout);
    else if (strcmp(sub, "rollback") == 0 && argc == 2)
        err = mm_snapshot_cmd_rollback(cfg, argv[1], stdout);
    else if (strcmp(sub, "gc") == 0 && argc == 1)
        err = mm_snapshot_cmd_gc(cfg, stdout);
    else
        return usage_error(usage_snapshot, "bad snapshot command '%s' or arguments", sub);
    return exit_code(err == MM_EINVAL ? MM_ECORRUPT : err);
}

struct command {
    const char *name;
    const char *usage;
    int (*run)(const struct mm_config *cfg, int argc, char **argv);
};

static const struct command commands[] = {
    {"config", usage_config, cmd_config},
    {"run", usage_run, cmd_run},
    {"status", usage_status, cmd_status},
    {"snapshot", usage_snapshot, cmd_snapshot},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* `config doc` needs no config file: it documents the schema itself. */
static bool is_config_doc(int argc, char **argv)
{
    return argc == 2 && strcmp(argv[0], "config") == 0 && strcmp(argv[1], "doc") == 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"set", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    const char *config_path = NULL;
    const char *sets[MAX_SETS];
    size_t n_sets = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 's':
            if (n_sets == MAX_SETS)
                return usage_error(usage_main, "more than 256 --set options%s", "");
            sets[n_sets++] = optarg;
            break;
        case 'h': fputs(usage_main, stdout); return EXIT_OK;
        case 'V': printf("moodmusic %s\n", MM_VERSION); return EXIT_OK;
        default: fputs(usage_main, stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return usage_error(usage_main, "missing command%s", "");
    const struct command *cmd = find_command(argv[optind]);
    if (!cmd)
        return usage_error(usage_main, "unknown command '%s'", argv[optind]);
    /* Commands see their own name as argv[0], as getopt expects. */
    int cmd_argc = argc - optind;
    char **cmd_argv = argv + optind;
    if (wants_help(cmd_argc - 1, cmd_argv + 1)) {
        fputs(cmd->usage, stdout);
        if (cmd->run == cmd_run)
            print_stages(stdout);
        return EXIT_OK;
    }
    if (is_config_doc(cmd_argc, cmd_argv)) {
        char *doc = mm_config_doc_markdown();
        fputs(doc, stdout);
        free(doc);
        return EXIT_OK;
    }

    struct mm_config *cfg;
    struct mm_buf errors;
    mm_buf_init(&errors, 1 << 20);
    mm_err err = mm_config_load(config_path, sets, n_sets, &cfg, &errors);
    if (err) {
        fputs(errors.len ? errors.data : "config error: cannot load the config\n", stderr);
        mm_buf_cleanup(&errors);
        return EXIT_USAGE;
    }
    mm_buf_cleanup(&errors);
    char log_err[MM_ERRLEN];
    if (mm_log_open(cfg->log.file, cfg->log.level, log_err) != MM_OK) {
        fprintf(stderr, "moodmusic: %s\n", log_err);
        mm_config_free(cfg);
        return EXIT_USAGE;
    }
    int rc = cmd->run(cfg, cmd_argc, cmd_argv);
    mm_log_close();
    mm_config_free(cfg);
    return rc;
}
