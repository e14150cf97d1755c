/* Pong as hand-written C, from ../shared/design/pong.md: the reference that numbapuffer's
 * Pong is compared against, for speed (benchmarks/pong_vs_c.py) and for identical results
 * (tests/test_pong.py). Written like a native PufferLib env: one struct per game holding
 * its params, state, episode accumulators and pointers into the shared buffers, and a
 * loop over games with OpenMP. The random stream is the same xorshift64 as numbapuffer's,
 * seeded from the same per-game states, so both produce the same games.
 *
 * Built at benchmark/test time with the system compiler:
 *   cc -O3 -march=native -fopenmp -shared -fPIC pong.c -o libpong.so
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <omp.h>

typedef struct {
    double episode_return, episode_length, score, n;
} Log;

typedef struct {
    float *observations;
    int *actions;
    float *rewards;
    unsigned char *terminals;
    float width, height, paddle_width, paddle_height, ball_width, ball_height;
    float paddle_speed, ball_initial_speed_x, ball_initial_speed_y;
    float ball_speed_y_increment, ball_max_speed_y;
    int max_score, frameskip;
    float paddle_yl, paddle_yr, ball_x, ball_y, ball_vx, ball_vy;
    int score_l, score_r, tick, n_bounces;
    uint64_t rng;
    double episode_return, episode_length, score;
    Log log;
} Pong;

static inline uint64_t next_rand(Pong *env) {
    uint64_t x = env->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    env->rng = x;
    return x >> 32;
}

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

static void observe(Pong *env) {
    float min_y = -env->paddle_height * 0.5f;
    float span = (env->height - env->paddle_height * 0.5f) - min_y;
    float *o = env->observations;
    o[0] = (env->paddle_yl - min_y) / span;
    o[1] = (env->paddle_yr - min_y) / span;
    o[2] = env->ball_x / env->width;
    o[3] = env->ball_y / env->height;
    o[4] = (env->ball_vx + env->ball_initial_speed_x) / (2.0f * env->ball_initial_speed_x);
    o[5] = (env->ball_vy + env->ball_max_speed_y) / (2.0f * env->ball_max_speed_y);
    o[6] = (float)env->score_l / (float)env->max_score;
    o[7] = (float)env->score_r / (float)env->max_score;
}

static void reset_round(Pong *env) {
    env->paddle_yl = env->height * 0.5f - env->paddle_height * 0.5f;
    env->paddle_yr = env->paddle_yl;
    env->ball_x = env->width / 5.0f;
    env->ball_y = env->height * 0.5f - env->ball_height * 0.5f;
    env->ball_vx = env->ball_initial_speed_x;
    uint64_t coin = (next_rand(env) * 2) >> 32;
    env->ball_vy = coin ? env->ball_initial_speed_y : -env->ball_initial_speed_y;
    env->tick = 0;
    env->n_bounces = 0;
}

static void reset(Pong *env) {
    reset_round(env);
    env->score_l = 0;
    env->score_r = 0;
    env->episode_return = 0;
    env->episode_length = 0;
    env->score = 0;
    observe(env);
}

static void end_game(Pong *env) {
    env->log.episode_return += env->episode_return;
    env->log.episode_length += env->episode_length;
    env->log.score += env->score;
    env->log.n += 1;
    reset(env);
}

/* One step's frames; returns 1 when the game ended. */
static int step_frames(Pong *env) {
    int action = env->actions[0];
    float dir = action == 1 ? 1.0f : (action == 2 ? -1.0f : 0.0f);
    float min_y = -env->paddle_height * 0.5f;
    float max_y = env->height - env->paddle_height * 0.5f;
    for (int f = 0; f < env->frameskip; f++) {
        env->tick += 1;
        env->paddle_yr += env->paddle_speed * dir;
        float delta = env->ball_y - (env->paddle_yl + env->paddle_height * 0.5f);
        env->paddle_yl += clampf(delta, -env->paddle_speed, env->paddle_speed);
        env->paddle_yl = clampf(env->paddle_yl, min_y, max_y);
        env->paddle_yr = clampf(env->paddle_yr, min_y, max_y);
        env->ball_x += env->ball_vx;
        env->ball_y += env->ball_vy;
        if (env->ball_y < 0 || env->ball_y + env->ball_height > env->height)
            env->ball_vy = -env->ball_vy;
        if (env->ball_x < 0) {
            if (env->ball_y + env->ball_height > env->paddle_yl &&
                env->ball_y < env->paddle_yl + env->paddle_height) {
                env->ball_vx = -env->ball_vx;
                env->n_bounces += 1;
            } else {
                env->rewards[0] = 10;
                env->score += 1;
                env->score_r += 1;
                if (env->score_r == env->max_score) return 1;
                reset_round(env);
                observe(env);
                return 0;
            }
        }
        if (env->ball_x + env->ball_width > env->width) {
            if (env->ball_y + env->ball_height > env->paddle_yr &&
                env->ball_y < env->paddle_yr + env->paddle_height) {
                env->ball_vx = -env->ball_vx;
                env->n_bounces += 1;
                env->rewards[0] = 1;
                float vy = env->ball_vy + env->ball_speed_y_increment * dir;
                vy = clampf(vy, -env->ball_max_speed_y, env->ball_max_speed_y);
                env->ball_vy = fabsf(vy) < 0.01f ? env->ball_speed_y_increment : vy;
            } else {
                env->rewards[0] = 0;
                env->score_l += 1;
                if (env->score_l == env->max_score) return 1;
                reset_round(env);
                observe(env);
                return 0;
            }
        }
        env->ball_x = clampf(env->ball_x, 0, env->width - env->ball_width);
        env->ball_y = clampf(env->ball_y, 0, env->height - env->ball_height);
    }
    observe(env);
    return 0;
}

static void step(Pong *env) {
    env->rewards[0] = 0;
    int done = step_frames(env);
    env->terminals[0] = done;
    env->episode_return += env->rewards[0];
    env->episode_length += 1;
    if (done) end_game(env);
}

Pong *pong_make(int n, float *observations, int *actions, float *rewards,
                unsigned char *terminals, const uint64_t *rngs) {
    Pong *envs = calloc(n, sizeof(Pong));
    for (int i = 0; i < n; i++) {
        Pong *e = &envs[i];
        e->observations = observations + 8 * i;
        e->actions = actions + i;
        e->rewards = rewards + i;
        e->terminals = terminals + i;
        e->width = 500; e->height = 640; e->paddle_width = 20; e->paddle_height = 70;
        e->ball_width = 32; e->ball_height = 32; e->paddle_speed = 8;
        e->ball_initial_speed_x = 10; e->ball_initial_speed_y = 1;
        e->ball_speed_y_increment = 3; e->ball_max_speed_y = 13;
        e->max_score = 21; e->frameskip = 1;
        e->rng = rngs[i];
        reset(e);
    }
    return envs;
}

void pong_free(Pong *envs) { free(envs); }

void pong_step(Pong *envs, int n) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) step(&envs[i]);
}

/* `steps` steps, each after copying the next of `n_sets` pre-drawn action vectors. */
void pong_run(Pong *envs, int n, int steps, int threads, const int *action_sets, int n_sets) {
    omp_set_num_threads(threads);
    int *actions = envs[0].actions;
    for (int t = 0; t < steps; t++) {
        memcpy(actions, action_sets + (size_t)(t % n_sets) * n, sizeof(int) * n);
        pong_step(envs, n);
    }
}

/* Sums of finished games' stats since the last call (4 doubles), then cleared. */
void pong_log(Pong *envs, int n, double *out) {
    memset(out, 0, 4 * sizeof(double));
    for (int i = 0; i < n; i++) {
        out[0] += envs[i].log.episode_return;
        out[1] += envs[i].log.episode_length;
        out[2] += envs[i].log.score;
        out[3] += envs[i].log.n;
        memset(&envs[i].log, 0, sizeof(Log));
    }
}
