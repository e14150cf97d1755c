"""The `numbapuffer` command: list, check, benchmark and play envs; train and evaluate policies.
ENV is a first-party id or a Game of yours, my_env.py:game or my_package.my_env:game (only
that file or module is imported)."""
import argparse
import dataclasses
import os
import sys

import numba


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors (and its subcommands') are one line, as every CLI error."""

    def error(self, message):
        fail(self.prog.removeprefix("numbapuffer").strip(), message)


def fail(command, message):
    """Every error of the command line: one line on stderr naming the command, exit status 2."""
    print(f"numbapuffer{' ' + command if command else ''}: error: {' '.join(str(message).split())}", file=sys.stderr)
    sys.exit(2)


def positive(kind):
    """An argparse type: a number of `kind` above 0."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__} > 0, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def env_id(command, name, gymnasium_ids=False):
    """`name` if it is a numbapuffer env (or, with `gymnasium_ids`, a registered gymnasium
    id); otherwise the command fails listing the choices."""
    import numbapuffer
    if name in numbapuffer.list_envs():
        return name
    if numbapuffer.envs.is_spec(name):  # a user's Game: this file or module, the one thing imported
        try:
            numbapuffer.envs.get(name)
        except ValueError as e:
            fail(command, e)
        return name
    choices = ", ".join(numbapuffer.list_envs()) + ", or a Game of yours: my_env.py:game or my_package.my_env:game"
    if gymnasium_ids:
        import gymnasium
        try:
            gymnasium.spec(name)
            return name
        except gymnasium.error.Error:
            fail(command, f"unknown env {name!r}: choose from {choices}, or a registered gymnasium id (CartPole-v1)")
    fail(command, f"unknown env {name!r}: choose from {choices}")


def main(argv=None):
    parser = Parser(prog="numbapuffer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the first-party envs")
    c = sub.add_parser("check", help="run an env through check_env's checks; exit status 1 if it finds problems")
    c.add_argument("env", help="an env id, or a Game of yours: my_env.py:game or my_package.my_env:game")
    c.add_argument("--num-envs", type=positive(int), default=64, help="games per env checked")
    c.add_argument("--steps", type=positive(int), default=1000, help="steps of random play")
    b = sub.add_parser("bench", help="steps/s of an env through its public step()")
    b.add_argument("env")
    b.add_argument("--num-envs", type=positive(int), nargs="+", default=[4096], help="games per env (several allowed)")
    b.add_argument("--threads", type=positive(int), default=None, help="numba threads (default: all cores)")
    b.add_argument("--seconds", type=positive(float), default=2.0, help="timed seconds per measurement")
    b.add_argument("--rounds", type=positive(int), default=5, help="timed rounds; the median is reported")
    add_play(sub)
    train_parser(sub)
    eval_parser(sub)
    v = sub.add_parser("bench-vec", help="steps/s of the vector backends and NumbaVecEnv vs the native env")
    v.add_argument("env", nargs="?", default="pong")
    v.add_argument("--num-envs", type=positive(int), default=8192, help="games for the backends")
    v.add_argument("--num-workers", type=positive(int), default=2, help="multiprocessing workers")
    v.add_argument("--gym-num-envs", type=positive(int), default=4096, help="games for NumbaVecEnv vs native")
    v.add_argument("--threads", type=positive(int), default=None,
                   help="numba threads in this process (default: all cores)")
    v.add_argument("--seconds", type=positive(float), default=0.5, help="timed seconds per round and case")
    v.add_argument("--rounds", type=positive(int), default=7, help="interleaved rounds; the median is reported")
    args = parser.parse_args(argv)
    if args.command == "train":
        return train(args)
    if args.command == "eval":
        return evaluate(args)
    if args.command == "list":
        import numbapuffer
        print("\n".join(numbapuffer.list_envs()))
    elif args.command == "bench":
        bench(args)
    elif args.command == "check":
        return check(args)
    elif args.command == "play":
        play(args)
    elif args.command == "bench-vec":
        bench_vec(args)
    return 0


def bench(args):
    import numbapuffer as npf
    from numbapuffer.tools.bench import env_rate, machine
    env_id("bench", args.env)
    set_threads("bench", args.threads)
    print(f"numbapuffer bench {args.env}: {args.seconds:g} s per figure, median of {args.rounds} rounds")
    print(f"{'num_envs':>9} {'steps/s':>14} {'us/step':>9}")
    for n in args.num_envs:
        try:
            env = npf.make(args.env, num_envs=n, seed=0)
        except (ValueError, TypeError) as e:
            fail("bench", e)
        rate, _ = env_rate(env, args.seconds, args.rounds)
        print(f"{n:>9} {rate:>14,.0f} {env.num_agents / rate * 1e6:>9.2f}", flush=True)
        env.close()
    print(machine())


def check(args):
    from numbapuffer.tools.check import check_env
    env_id("check", args.env)
    problems = check_env(args.env, num_envs=args.num_envs, steps=args.steps)
    print(f"{args.env}: {problems!r}")
    return 1 if problems else 0


def add_play(sub):
    p = sub.add_parser("play", help="play an env with the keyboard in a pygame window",
                       description="Play game 0 of ENV in a window; its controls are shown under the game. "
                                   "Esc or closing the window quits.")
    p.add_argument("env")
    p.add_argument("--max-frames", type=positive(int), default=None, help="stop after this many frames")
    p.add_argument("--keys", default=None, metavar="FEED",
                   help='scripted keys instead of the keyboard: "up:60,down:30" holds Up for 60 frames, then '
                        'Down for 30 ("none:N": no key)')
    p.add_argument("--fps", type=_fps, default=None, help="frames per second (default: the game's; 0: unlimited)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--policy", default=None, metavar="PATH",
                   help="a checkpoint written by `numbapuffer train` plays instead of the keyboard")
    p.add_argument("--trace", default="", metavar="FIELDS",
                   help="print these scalar state fields of the game (comma-separated) after every frame")


def play(args):
    from numbapuffer.tools.play import play as play_game
    policy, params = None, {}
    env_id("play", args.env)
    if args.policy:
        net, cfg = _load_policy("play", _train_module("play"), args.policy, args.env)
        policy, params = net.predict, dict(cfg.env_params)
    try:
        out = play_game(args.env, max_frames=args.max_frames, keys=args.keys, fps=args.fps, seed=args.seed,
                        policy=policy, trace=[f for f in args.trace.split(",") if f], **params)
    except (ValueError, RuntimeError) as e:
        fail("play", e)
    for t in range(out["frames"]) if out["trace"] else ():
        print(f"frame {t + 1}: " + ", ".join(f"{k}={v[t]}" for k, v in out["trace"].items()))
    state = out["state"]
    fields = ", ".join(f"{k}={state[k]}" for k in state.dtype.names if k != "rng" and state.dtype[k].shape == ())
    print(f"{args.env}: {out['frames']} frames, {out['steps']} steps, {out['games']} games finished, "
          f"return {out['return']:+g}")
    print(f"final state: {fields}")

# ---------------------------------------------------------------------------------------
# train and eval (PPO in numbapuffer/train/; torch is the optional extra `train`)
# ---------------------------------------------------------------------------------------
def _train_module(command):
    try:
        from numbapuffer.train import loop as module
    except ImportError as e:
        fail(command, f"training needs torch and tqdm ({e}); install them with pip install -e \".[train]\"")
    return module


def _config_fields():
    """Config's fields, read from train/loop.py's source so that --help works without torch."""
    import ast
    source = open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "train", "loop.py")).read()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == "Config":
            for f in node.body:
                if isinstance(f, ast.AnnAssign) and f.target.id not in ("env", "env_params"):
                    yield f.target.id, f.annotation.id, ast.literal_eval(f.value.args[1])


def _bool(text):
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _param(text):
    import ast
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(f"{text!r}: the value must be a Python number or bool") from None


def train_parser(sub):
    t = sub.add_parser("train", help="train a policy by PPO (numbapuffer/train/)",
                       description="Train a policy by PPO. Options left out take the env's defaults from "
                                   "the table DEFAULTS in numbapuffer/train/loop.py.")
    t.add_argument("env", help="a numbapuffer env id, a Game of yours (my_env.py:game, my_package.my_env:game), "
                                   "or a gymnasium id (trained through gymnasium.make_vec)")
    t.add_argument("--out", default=None, help="checkpoint path (default: ENV.pt)")
    t.add_argument("--force", action="store_true", help="overwrite the checkpoint at --out if it exists")
    t.add_argument("--env-param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="an env parameter, e.g. --env-param frameskip=4 (repeatable)")
    t.add_argument("--save-interval", type=int, default=50, help="also write the checkpoint every this many updates")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--backend", choices=("native", "ray"), default="native",
                   help="native: the env in this process; ray: rollouts from Ray actors (numbapuffer/train_ray.py) "
                        "on the cluster at $RAY_ADDRESS, else a local Ray")
    t.add_argument("--num-workers", type=int, default=2, help="Ray rollout actors (--backend ray)")
    types = {"int": int, "float": float, "bool": _bool, "str": str}
    for name, kind, help in _config_fields():
        t.add_argument("--" + name.replace("_", "-"), type=types[kind], default=None, metavar=kind.upper(), help=help)


def eval_parser(sub):
    e = sub.add_parser("eval", help="play a trained (or random) policy and print its episodes' mean log",
                       description="Play every game until it has finished one episode and print the means "
                                   "of the env's log fields over those episodes.")
    e.add_argument("env", help="the env the policy was trained on, as given to train")
    g = e.add_mutually_exclusive_group(required=True)
    g.add_argument("--policy", help="a checkpoint written by numbapuffer train")
    g.add_argument("--random", action="store_true", help="uniformly random actions instead, for comparison")
    e.add_argument("--episodes", type=positive(int), default=100, help="episodes (games played at once, one each)")
    e.add_argument("--seed", type=int, default=1, help="seed of the games (training used --seed, default 0)")
    e.add_argument("--greedy", action="store_true", help="take the most likely action instead of sampling")
    e.add_argument("--max-steps", type=positive(int), default=100_000, help="stop games still unfinished after this many steps")
    e.add_argument("--render", action="store_true", help="watch one game in a window (render_mode='human')")


def train(args):
    env_id("train", args.env, gymnasium_ids=True)
    out = args.out or (_game_name(args.env) if ":" in args.env else args.env.replace("/", "_")) + ".pt"
    if os.path.exists(out) and not args.force:
        fail("train", f"{out} exists: pass --force to overwrite it, or --out another path")
    module = _train_module("train")
    overrides = {name: getattr(args, name) for name, _, _ in _config_fields() if getattr(args, name) is not None}
    if args.env_param:
        overrides["env_params"] = dict(args.env_param)
    env = rollouts = None
    try:
        cfg = module.config(args.env, **overrides)
        if args.backend == "ray":
            rollouts = _ray_rollouts(cfg, args.num_workers)
        else:
            env = module.make_env(cfg)
    except (ValueError, TypeError) as e:
        fail("train", e)
    if rollouts is None:
        rollouts = module.Rollouts(cfg, env)  # this process's rollouts, made here to say their size
    n = rollouts.n  # agents of all games, or a gymnasium vector env's envs
    updates = module.num_updates(cfg, n)
    rounded = "" if updates * n * cfg.num_steps == cfg.total_steps else \
        f" (--total-steps {cfg.total_steps:,} in whole rollouts of {n} agents x {cfg.num_steps} steps)"
    print(f"numbapuffer train {cfg.env}: {updates * n * cfg.num_steps:,} steps{rounded} -> {out}")
    _, history = module.train(cfg, env=env, out=out, progress=not args.quiet, save_interval=args.save_interval,
                              rollouts=rollouts)
    print(module.speed(history))
    last = [h for h in history if "episode_return" in h][-1:] or [{}]
    print("last episodes:", _fields(last[0], skip=("step", "time", "timing", "samples", "reward", "loss",
                                                     "policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac")))
    return 0


def _game_name(spec):
    import numbapuffer
    return numbapuffer.envs.get(spec).name


def _ray_rollouts(cfg, num_workers):
    try:
        from numbapuffer.train.ray import RayRollouts
    except ImportError as e:
        fail("train", f'--backend ray needs ray ({e}): pip install "numbapuffer[ray]"')
    return RayRollouts(cfg, num_workers)


def evaluate(args):
    env_id("eval", args.env, gymnasium_ids=True)
    module = _train_module("eval")
    if args.random:
        policy, cfg = None, module.config(args.env)
    else:
        policy, cfg = _load_policy("eval", module, args.policy, args.env)
    games = 1 if args.render else args.episodes
    try:
        env = module.make_env(dataclasses.replace(cfg, seed=args.seed), num_envs=games,
                              **({"render_mode": "human"} if args.render else {}))
    except (ValueError, TypeError) as e:
        fail("eval", f"cannot {'render' if args.render else 'make'} {args.env}: {e}")
    result = module.evaluate(policy, env, greedy=args.greedy, seed=args.seed, max_steps=args.max_steps)
    env.close()
    who = "random policy" if policy is None else args.policy
    print(f"{args.env}, {who}: {_fields(result)}")
    return 0


def _load_policy(command, module, path, env):
    """(policy, config) of the checkpoint at `path`, which must have been trained on `env`
    (checked, with everything else in it, before anything is imported or built)."""
    try:
        policy, cfg, _ = module.load(path, env=env)
    except FileNotFoundError:
        fail(command, f"no checkpoint at {path}")
    except ValueError as e:
        fail(command, e)
    return policy, cfg


def _fields(d, skip=()):
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.items() if k not in skip)


def _fps(text):
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (0: unlimited), got {text!r}")
    return value


def set_threads(command, threads):
    if threads is not None:
        if not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
            fail(command, f"argument --threads: must be 1..{numba.config.NUMBA_NUM_THREADS}, got {threads}")
        numba.set_num_threads(threads)


def bench_vec(args):
    from numbapuffer.tools.bench import machine, vector_rates
    env_id("bench-vec", args.env)
    set_threads("bench-vec", args.threads)
    print(f"numbapuffer bench-vec {args.env}: median of {args.rounds} interleaved rounds of {args.seconds:g} s")
    rates = vector_rates(args.env, args.num_envs, args.num_workers, args.gym_num_envs, args.seconds, args.rounds)
    names = list(rates)
    print(f"{'':<44} {'steps/s':>14} {'ratio':>6}")
    for group in (names[:3], names[3:]):  # each against its native env, the group's first row
        for name in group:
            print(f"{name:<44} {rates[name]:>14,.0f} {rates[name] / rates[group[0]]:>6.2f}")
    overhead = (f"{name.split(',')[0]} {(rates[names[3]] / rates[name] - 1) * 100:.1f}%" for name in names[4:])
    print(f"per-step overhead over the native env: {', '.join(overhead)}")
    print(machine())


if __name__ == "__main__":
    sys.exit(main())
