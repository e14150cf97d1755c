"""The two tiers. The README's `python3 -m pytest -q` runs the fast tier (pyproject's addopts
deselect `slow`); `.ci/run` runs the slow tier too (`-m slow`). A test is slow when it needs
what costs seconds by its nature: a Ray cluster, a training run, a notebook, a child process
that imports numbapuffer or compiles kernels (a fresh cache dir, NUMBA_DISABLE_JIT, worker
processes), a C compiler, or a corpus of games that must fail to compile. New tests mark
themselves with @pytest.mark.slow; the tests below, written before the tiers, are named here.
Tests that need PufferLib's C (they skip without it) are marked `pufferlib`; .ci/run runs them
in the venv it builds PufferLib into."""
import inspect
import os

import pytest

from numbapuffer.envs import ENVS

SLOW = (
    # whole files: Ray clusters, third-party trainers, notebooks
    "tests/test_ray.py::", "tests/test_clients.py::", "tests/test_notebooks.py::test_notebook_runs",
    # training runs
    "tests/test_train.py::test_native_few_updates", "tests/test_train.py::test_same_seed_same_training",
    "tests/test_train.py::test_squared_is_learned", "tests/test_train.py::test_gymnasium_vector_env_few_updates",
    "tests/test_train.py::test_numbapuffer_through_gymnasium_make_vec", "tests/test_train.py::test_gymnasium_box_actions",
    "tests/test_train.py::test_native_multidiscrete_and_box_actions", "tests/test_train.py::test_connect4_action_mask",
    "tests/test_train.py::test_multi_agent_masks", "tests/test_train.py::test_cli_train",
    "tests/test_train.py::test_cli_eval_render", "tests/test_train.py::test_cli_play_with_a_trained_policy",
    "tests/test_train.py::test_the_core_package_and_its_command_work_without_torch",
    "tests/test_policy.py::test_cnn_trains_on_pixels", "tests/test_policy.py::test_normalized_pendulum",
    "tests/test_squared.py::test_a_generic_learner_picks_up_the_signal",
    # child processes that import numbapuffer or compile kernels
    # check_env over every env: each compiles its serial, parallel and checked kernels (cold,
    # most of the fast tier's time); the fast tier keeps the declaration, bad-action and bench checks
    "tests/test_conformance.py::test_check_env_finds_no_problem",
    "tests/test_conformance.py::test_identical_on_one_and_two_threads",
    "tests/test_conformance.py::test_identical_as_plain_python",
    "tests/test_engine.py::test_identical_on_one_and_two_threads", "tests/test_engine.py::test_kernel_cache_is_used",
    "tests/test_engine.py::test_fingerprint_is_stable_across_processes",
    "tests/test_engine.py::test_cached_kernels_of_two_state_layouts", "tests/test_engine.py::test_python_dash_m",
    "tests/test_cartpole.py::test_benchmark_script_runs", "tests/test_cli.py::test_cli_errors_from_a_fresh_process",
    "tests/test_gymnasium.py::test_import_registers_without_loading_env_modules",
    "tests/test_hardening.py::test_unsafe_cache_dir", "tests/test_hardening.py::test_tmp_cache_dir_of_another_user",
    "tests/test_hardening.py::test_damaged_", "tests/test_hardening.py::test_runs_from_read_only_install",
    "tests/test_hardening.py::test_cpong_builds", "tests/test_hardening.py::test_env_too_big_for_memory",
    "tests/test_hardening.py::test_interrupted_send_or_recv", "tests/test_hardening.py::test_shared_memory_is_unlinked",
    "tests/test_hardening.py::test_worker_kernel_reads", "tests/test_hardening.py::test_two_threads_stepping",
    "tests/test_hardening.py::test_runs_with_nowhere_to_write",
    "tests/test_inputs.py::test_partly_overlapping_flags", "tests/test_inputs.py::test_bad_seeds_rejected_everywhere",
    "tests/test_inputs.py::test_a_seed_list_splits_between_workers",
    "tests/test_pickle.py::test_vector_backends_pickle", "tests/test_pickle.py::test_a_game_defined_in_a_notebook",
    "tests/test_readme.py::test_readme_block_runs_as_written",
    "tests/test_render.py::test_play_pong_from_the_command_line", "tests/test_render.py::test_play_rejects_bad_input",
    "tests/test_threads.py::test_thread_pool_starts_without_changing_the_environment",
    "tests/test_vector.py::test_the_same_interface_on_every_backend", "tests/test_vector.py::test_bit_identical",
    "tests/test_vector.py::test_worker_threads", "tests/test_vector.py::test_unknown_env_is_named",
    "tests/test_vector.py::test_async_batches", "tests/test_vector.py::test_send_and_recv",
    "tests/test_vector.py::test_a_killed_worker", "tests/test_vector.py::test_a_worker_killed",
    "tests/test_vector.py::test_an_exception_in_env_code", "tests/test_vector.py::test_a_hung_worker",
    "tests/test_vector.py::test_close_stops_every_worker", "tests/test_vector.py::test_garbage_collection",
    "tests/test_vector.py::test_interpreter_exit", "tests/test_vector.py::test_a_script_without_the_main_guard",
    "tests/test_vector.py::test_bench_vec_command", "tests/test_vector.py::test_ray_is_imported_only",
    # a kernel variant beyond an env's default one, each costing a cold compile of its own:
    # check_env of a preset or a variant (its checked and parallel kernels), other sizes
    # (another state layout); the fast tier keeps each env's default kernels and the rules
    # of sizes and presets in tests/test_authoring.py and tests/test_engine.py
    "tests/test_snake.py::test_pufferlib_preset_plays_on_pufferlibs_sizes", "tests/test_snake.py::test_a_larger_game",
    "tests/test_rware.py::test_sizes", "tests/test_connect4.py::test_searching_opponent_passes_check_env",
    "tests/test_connect4.py::test_pufferlib_preset_passes_check_env",
    "tests/test_breakout.py::test_pufferlib_preset_passes_check_env",
    "tests/test_squared.py::test_pufferlib_preset_passes_check_env",
    "tests/test_pong.py::test_pufferlib_preset_passes_check_env", "tests/test_pong.py::test_pufferlib_rewards_pass_check_env",
    "tests/test_pixels.py::test_stack_is_a_param_of_make_game", "tests/test_go.py::test_params_and_sizes_are_checked",
    "tests/test_tetris.py::test_sizes_are_checked", "tests/test_checkers.py::test_sizes_and_checks",
    "tests/test_inputs.py::test_numpy_integer_sizes_do_not_wrap", "tests/test_grid.py::test_sizes_check",
    # a C compiler; games that must fail to compile (failed compiles are never cached)
    "tests/test_pong.py::test_identical_to_the_c_loop", "tests/test_mistakes.py::",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "pufferlib: needs PufferLib's build (.ci/run runs these in its venv)")


def xdist_group(item):
    """The worker group of a test (pytest-xdist's --dist loadgroup, set in pyproject's addopts):
    every test of one env (its own file, and the shared suites' cases for it) runs on one
    worker, so that a cold run compiles each env's kernels once, not once per worker; other
    tests are grouped by file."""
    params = getattr(item, "callspec", None)
    for value in (params.params.values() if params else ()):
        if isinstance(value, str) and value in ENVS:
            return value
    stem = os.path.basename(item.path).removesuffix(".py").removeprefix("test_")
    return stem if stem in ENVS else item.nodeid.split("::")[0]


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(xdist_group(item)))
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
        # a test that skips without PufferLib's C is run where it is built: the same rule, named once
        function = getattr(item, "function", None)
        if function is not None and 'importorskip("pufferlib' in inspect.getsource(function):
            item.add_marker(pytest.mark.pufferlib)
