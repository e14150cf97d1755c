"""Pong 4096 games on a busy machine: numbapuffer vs hand-written OpenMP C under the same load.

Each figure is one process stepping for --seconds, beside the load of its scenario; the
scenarios run in turn in each of --rounds rounds (so the machine's drift falls on all alike),
and the medians are printed with the ratios the issue asks about:

    alone, 1 thread / default threads (all cores)
    one busy neighbour process (`while True: pass`), 1 thread / default threads
    two busy neighbours, default threads, vs 1 thread alone
    two processes stepping at once, default threads, each vs one alone
    torch matmuls between steps in the same process (numbapuffer only, when torch is
    installed): the env's steps/s and torch's matmul time, with the env choosing its kernel
    (default) vs the serial kernel, and torch alone

    python benchmarks/contention.py [--rounds 3] [--seconds 2] [--num-envs 4096]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
BUSY = "while True: pass"


def worker(args):
    """One timed run in this process; prints a JSON dict of figures."""
    import numba
    acts = np.random.default_rng(0).integers(0, 3, (64, args.num_envs)).astype(np.int32)
    threads = numba.config.NUMBA_NUM_THREADS if args.threads == 0 else args.threads
    if args.worker == "c":
        from benchmarks.cpong import CPong
        from benchmarks.pong_vs_c import c_rate
        cpong = CPong(args.num_envs, seed=0)
        cpong.run(200, threads, acts)
        print(json.dumps({"steps": c_rate(cpong, threads, acts, args.seconds)}))
        return
    import numbapuffer as npf
    numba.set_num_threads(threads)
    env = npf.make("pong", args.num_envs, seed=0, report_interval=0)
    if args.serial:
        env.use_serial(True)
    env.reset(seed=0)
    mm = None
    if args.torch:
        import torch
        x = torch.randn(args.torch, args.torch)
        mm = lambda: torch.mm(x, x)  # noqa: E731
    env_time = mm_time = 0.0
    steps = 0
    end = time.perf_counter() + 0.5 + args.seconds  # 0.5 s of warm-up first
    timing = False
    while True:
        now = time.perf_counter()
        if not timing and now >= end - args.seconds:
            timing, env_time, mm_time, steps = True, 0.0, 0.0, 0
        if now >= end:
            break
        for k in range(16):
            t0 = time.perf_counter()
            if not args.no_env:
                env.step(acts[k])
            t1 = time.perf_counter()
            if mm is not None:
                mm()
            env_time += t1 - t0
            mm_time += time.perf_counter() - t1
        steps += 16
    out = {"steps": steps * args.num_envs / env_time if not args.no_env else 0.0}
    if mm is not None:
        out["matmul_us"] = mm_time / steps * 1e6
    print(json.dumps(out))


def run(engine, threads, args, load=0, pair=False, **flags):
    """Figures of one scenario: `load` busy neighbours; `pair`: two measured processes."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine, "--threads", str(threads),
           "--seconds", str(args.seconds), "--num-envs", str(args.num_envs)]
    for k, v in flags.items():
        cmd += [f"--{k.replace('_', '-')}"] + ([] if v is True else [str(v)])
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(load)]
    try:
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(2 if pair else 1)]
        outs = [json.loads(p.communicate()[0]) for p in procs]
    finally:
        for b in busy:
            b.kill()
            b.wait()
    return outs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--worker", choices=("npf", "c"))
    parser.add_argument("--threads", type=int, default=0, help="0: all cores")
    parser.add_argument("--serial", action="store_true")
    parser.add_argument("--torch", type=int, default=0, help="size of the square matmul between steps")
    parser.add_argument("--no-env", action="store_true")
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    try:
        import torch  # noqa: F401
        has_torch = True
    except ImportError:
        has_torch = False
    scenarios = {}
    for engine in ("npf", "c"):
        scenarios.update({
            (engine, "alone, 1 thread"): lambda e=engine: run(e, 1, args),
            (engine, "alone, default"): lambda e=engine: run(e, 0, args),
            (engine, "1 busy neighbour, 1 thread"): lambda e=engine: run(e, 1, args, load=1),
            (engine, "1 busy neighbour, default"): lambda e=engine: run(e, 0, args, load=1),
            (engine, "2 busy neighbours, default"): lambda e=engine: run(e, 0, args, load=2),
            (engine, "two processes at once, default"): lambda e=engine: run(e, 0, args, pair=True),
        })
    if has_torch:
        scenarios.update({
            ("npf", "torch between steps, default"): lambda: run("npf", 0, args, torch=128),
            ("npf", "torch between steps, serial kernel"): lambda: run("npf", 0, args, torch=128, serial=True),
            ("npf", "torch alone"): lambda: run("npf", 0, args, torch=128, no_env=True),
        })
    figures = {k: [] for k in scenarios}
    for r in range(args.rounds):
        for key, scenario in scenarios.items():
            figures[key].append(scenario())
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    def med(key, field="steps", proc=0):
        return float(np.median([outs[proc][field] for outs in figures[key]]))

    print(f"Pong, {args.num_envs} games, {os.cpu_count()} cores; medians of {args.rounds} rounds of "
          f"{args.seconds:g} s per process")
    print(f"{'scenario':<38} {'numbapuffer':>14} {'OpenMP C':>14}")
    for _, name in [k for k in scenarios if k[0] == "npf" and not k[1].startswith("torch")]:
        cells = []
        for engine in ("npf", "c"):
            key = (engine, name)
            cells.append(" / ".join(f"{med(key, proc=p) / 1e6:.1f}M" for p in range(len(figures[key][0]))))
        print(f"{name:<38} {cells[0]:>14} {cells[1]:>14}")
    print("\nratios (goal in brackets)")
    for engine in ("npf", "c"):
        alone1, alone = med((engine, "alone, 1 thread")), med((engine, "alone, default"))
        pair = min(med((engine, "two processes at once, default"), proc=p) for p in (0, 1))
        print(f"{engine:>4}: two processes, each / one alone {pair / alone:.3f} [>= 0.4]; "
              f"1 neighbour, default / 1 thread {med((engine, '1 busy neighbour, default')) / med((engine, '1 busy neighbour, 1 thread')):.3f} [>= 0.9]; "
              f"2 neighbours / 1 thread quiet {med((engine, '2 busy neighbours, default')) / alone1:.3f} [>= 0.5]; "
              f"quiet default / 1 thread {alone / alone1:.2f}")
    if has_torch:
        d, s, t = ("npf", "torch between steps, default"), ("npf", "torch between steps, serial kernel"), \
            ("npf", "torch alone")
        print(f"torch 128x128 matmul between steps: env {med(d) / 1e6:.1f}M vs serial kernel {med(s) / 1e6:.1f}M "
              f"= {med(d) / med(s):.3f} [>= 0.9]; matmul {med(d, 'matmul_us'):.1f} us vs "
              f"{med(s, 'matmul_us'):.1f} us beside the serial kernel, {med(t, 'matmul_us'):.1f} us alone "
              f"= {med(d, 'matmul_us') / med(t, 'matmul_us'):.3f} [<= 1.1]")


if __name__ == "__main__":
    main()
