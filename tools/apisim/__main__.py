"""Command line of the API simulator (run as `python3 tools/apisim.py ...`).

Starts the server on 127.0.0.1 and prints exactly one line,
"apisim: listening on http://127.0.0.1:PORT", once it accepts connections;
serves until SIGTERM or SIGINT and exits 0. With --dump-catalog FILE it writes
the catalog's ground truth instead and exits.
"""

import argparse
import json
import signal
import sys
import threading

from . import catalog as catalog_mod
from . import dump, faults, server


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="apisim",
        description="Offline simulator of Spotify, MusicBrainz, Last.fm, iTunes Search and "
                    "OpenAI-compatible LLM endpoints (see docs/apisim.md).")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free one)")
    p.add_argument("--seed", type=int, default=None,
                   help="fault seed (overrides the seed of --faults; default 42)")
    p.add_argument("--faults", metavar="FILE.json", help="configuration: faults, limits, switches")
    p.add_argument("--fault-rate", type=float, default=None,
                   help="fault every provider at this rate (0..1) with every kind it knows")
    p.add_argument("--catalog-seed", type=int, default=None,
                   help="seed of the derived catalog data: coverage, ids, popularity, features "
                        "(default: gen_sample.py's catalog seed)")
    p.add_argument("--audio-features-403", action="store_true",
                   help="answer audio features with 403, as for apps created since Nov 2024")
    p.add_argument("--token-lifetime", type=float, default=None,
                   help="Spotify access token lifetime in seconds (default 3600)")
    p.add_argument("--dump-catalog", metavar="FILE.jsonl",
                   help="write the catalog's ground truth and exit")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    opt = p.parse_args(argv)
    if opt.faults and opt.fault_rate is not None:
        p.error("--faults and --fault-rate exclude each other")
    if opt.fault_rate is not None and not 0.0 <= opt.fault_rate <= 1.0:
        p.error("--fault-rate: expected a number in 0..1")
    if not 0 <= opt.port <= 65535:
        p.error("--port: expected 0..65535")
    return opt, p


def build_config(opt, parser):
    doc = {}
    if opt.faults:
        try:
            with open(opt.faults, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            parser.error("--faults %s: %s" % (opt.faults, e))
    if not isinstance(doc, dict):
        parser.error("--faults %s: expected a JSON object" % opt.faults)
    if opt.fault_rate is not None:
        doc["providers"] = faults.uniform(opt.fault_rate)
    if opt.seed is not None:
        doc["seed"] = opt.seed
    if opt.audio_features_403 or opt.token_lifetime is not None:
        sp = doc.get("spotify", {})
        if not isinstance(sp, dict):
            parser.error("--faults %s: spotify: expected an object" % opt.faults)
        sp = dict(sp)
        if opt.audio_features_403:
            sp["audio_features_403"] = True
        if opt.token_lifetime is not None:
            sp["token_lifetime_seconds"] = opt.token_lifetime
        doc["spotify"] = sp
    try:
        return faults.validate(doc)
    except faults.ConfigError as e:
        parser.error("%s: %s" % (opt.faults or "configuration", e))


def main(argv=None):
    opt, parser = parse_args(sys.argv[1:] if argv is None else argv)
    cfg = build_config(opt, parser)
    seed = opt.catalog_seed
    if seed is None:
        seed = catalog_mod.load_generator().CATALOG_SEED
    cat = catalog_mod.Catalog(seed)
    if opt.dump_catalog:
        summary = dump.write(cat, opt.dump_catalog)
        print("apisim: wrote %d tracks and %d must-not-match pairs to %s" % (
            summary["tracks"], summary["must_not_match"], opt.dump_catalog))
        return 0
    sim = server.Sim(cat, cfg, opt.verbose)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        srv = server.start(sim, opt.port)
    except OSError as e:
        print("apisim: cannot listen on 127.0.0.1:%d: %s" % (opt.port, e), file=sys.stderr)
        return 1
    print("apisim: listening on http://127.0.0.1:%d" % srv.server_port, flush=True)
    while not stop.wait(0.5):
        pass
    server.stop(srv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
