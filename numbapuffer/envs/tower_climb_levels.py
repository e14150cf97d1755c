"""Tower Climb's levels (numbapuffer/envs/tower_climb.py plays them): the C's level maker
and breadth-first solver, which made the stored bank of 50 levels below (make_bank(seed=0);
tests/test_tower_climb.py makes it again), and the bank as the env reads it: LEVEL_BITS
(cubes as bits), LEVEL_SPAWN and LEVEL_GOAL (cells); LEVEL_BLOCKS holds the cubes one a byte."""
import base64
import zlib

import numpy as np
from numba import njit

from numbapuffer.core import rand_int
from numbapuffer.envs.tower_climb_rules import CELLS, FLOOR, POS, SCRATCH, SUCCESS, UP, W, apply, put_cube

BANK = 50


@njit
def gen_level(g, blocks, goal_floor):
    """The C's gen_level: random cubes in a stepped pyramid below goal_floor, the spawn above
    the first cube of floor 1, the goal on goal_floor beside the top. (spawn, goal), -1 if none."""
    for i in range(CELLS):
        blocks[i] = 0
    spawn = goal = -1
    for y in range(W):
        for z in range(W - 1, -1, -1):
            for x in range(W):
                c = x + W * z + FLOOR * y
                if 1 <= x < 8 and 1 <= z < 8 and 1 <= y < goal_floor and z <= 8 - y:
                    blocks[c] = 1 if rand_int(g, 2) == 0 else 0
                    if spawn == -1 and y == 2 and blocks[c - FLOOR] == 1:
                        spawn = c
                        blocks[c] = 0
                if goal == -1 and y == goal_floor and (blocks[c + W - FLOOR] == 1 or blocks[c - 1 - FLOOR] == 1
                                                       or blocks[c + 1 - FLOOR] == 1):
                    if rand_int(g, 3) == 0 or (x == W - 1 and z == 0):
                        goal = c
    return spawn, goal


@njit
def pack(cells, bits):
    for i in range(CELLS // 8):
        bits[i] = 0
    for i in range(CELLS):
        if cells[i]:
            put_cube(bits, i)


@njit
def hash_state(bits, robot, size):
    h = np.uint64(0xcbf29ce484222325)
    for i in range(CELLS // 8):
        h = (h ^ np.uint64(bits[i])) * np.uint64(0x100000001b3)
    for k in range(4):
        h = (h ^ np.uint64(robot[k] & 0xFFFFFFFF)) * np.uint64(0x100000001b3)
    return np.int64(h % np.uint64(size))


@njit
def solve(cells, spawn, goal, min_moves, max_moves, limit):
    """The C's bfs from cubes `cells` (1000 bytes): 1 if the shortest way to stand on the goal
    takes min_moves..max_moves moves (0 also past `limit` states, as the C)."""
    n = CELLS // 8
    cap = 1 << 16
    states = np.zeros((cap, n), np.uint8)
    robots = np.zeros((cap, 4), np.int32)
    depth = np.zeros(cap, np.int32)
    table = np.full(4 * cap, -1, np.int64)
    b = np.zeros(n, np.uint8)
    r = np.zeros(6, np.int32)
    q = np.zeros(SCRATCH, np.int16)
    pack(cells, states[0])
    robots[0, 0], robots[0, 1], robots[0, 2], robots[0, 3] = spawn, UP, 0, -1
    table[hash_state(states[0], robots[0], len(table))] = 0
    back, front = 1, 0
    while front < back:
        if back >= limit:
            return 0
        if robots[front, POS] - FLOOR == goal:
            return 1 if depth[front] >= min_moves else 0
        if depth[front] < max_moves:
            for action in range(6):
                b[:] = states[front]
                for k in range(4):
                    r[k] = robots[front, k]
                if apply(b, r, q, goal, action) != SUCCESS:
                    continue
                if back + 1 >= cap:  # grow the store and rehash
                    cap *= 2
                    states2 = np.zeros((cap, n), np.uint8)
                    states2[:back] = states[:back]
                    robots2 = np.zeros((cap, 4), np.int32)
                    robots2[:back] = robots[:back]
                    depth2 = np.zeros(cap, np.int32)
                    depth2[:back] = depth[:back]
                    states, robots, depth = states2, robots2, depth2
                    table = np.full(4 * cap, -1, np.int64)
                    for i in range(back):
                        j = hash_state(states[i], robots[i], len(table))
                        while table[j] != -1:
                            j = (j + 1) % len(table)
                        table[j] = i
                j = hash_state(b, r, len(table))
                seen = False
                while table[j] != -1:
                    i = table[j]
                    if robots[i, 0] == r[0] and robots[i, 1] == r[1] and robots[i, 2] == r[2] and robots[i, 3] == r[3]:
                        seen = True
                        for w in range(n):
                            if states[i, w] != b[w]:
                                seen = False
                                break
                        if seen:
                            break
                    j = (j + 1) % len(table)
                if seen:
                    continue
                table[j] = back
                states[back] = b
                for k in range(4):
                    robots[back, k] = r[k]
                depth[back] = depth[front] + 1
                back += 1
        front += 1
    return 0


@njit
def make_levels(g, count, blocks, spawns, goals):
    for k in range(count):
        goal_floor = rand_int(g, 4) + 5
        while True:
            spawn, goal = gen_level(g, blocks[k], goal_floor)
            if spawn > 0 and goal >= 0 and solve(blocks[k], spawn, goal, 10, 15, 10_000_000):
                break
        spawns[k], goals[k] = spawn, goal


def make_bank(seed=0, count=BANK):
    """`count` levels as the C makes them, from a stream seeded by `seed`: (blocks uint8
    (count, 1000), spawns, goals). About a second a level."""
    g = np.zeros(1, np.dtype([("rng", np.uint64)]))
    g["rng"] = np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(seed)
    blocks = np.zeros((count, CELLS), np.uint8)
    spawns, goals = np.zeros(count, np.int32), np.zeros(count, np.int32)
    make_levels(g[0], count, blocks, spawns, goals)
    return blocks, spawns, goals


def encode_bank(blocks, spawns, goals):
    raw = np.packbits(blocks, axis=1).tobytes() + spawns.astype("<i2").tobytes() + goals.astype("<i2").tobytes()
    text = base64.b64encode(zlib.compress(raw, 9)).decode()
    return [text[i:i + 100] for i in range(0, len(text), 100)]


def decode_bank(lines):
    raw = zlib.decompress(base64.b64decode("".join(lines)))
    n = len(raw) // (CELLS // 8 + 4)
    blocks = np.unpackbits(np.frombuffer(raw[:n * CELLS // 8], np.uint8).reshape(n, CELLS // 8), axis=1)
    rest = np.frombuffer(raw[n * CELLS // 8:], "<i2").astype(np.int32)
    return blocks.astype(np.uint8), rest[:n].copy(), rest[n:].copy()


BANK_DATA = [  # make_bank(seed=0), encode_bank'ed (tests/test_tower_climb.py makes it again)
    "eNq1WEtQG9kV7X7qj4QAqfX/S/iLPTCj2ITCDONIQgJcZZdbnvgz2ImlmElIBsfSRLEVm8QtEMILFnKVF154IVWx8MILUcXCC6eq",
    "G8QnVSyEh6RYsJCrWHjhBaqaBYssIvV73fJWEZIK/d6993Dfvfe8ex+GffbAX9+0hArPXK7aF4b2Js/rR3LiQumKbqb0EkpZZ3xj",
    "v5U0Lt+2c5K6Y46v2xrCGn0UH9HCwVYc+KqfjcM+34SJy4oLU6Pa+aWEhIHHdNjRP4auY/Ndbwd1NWcsPP9WZ+IL4sLmn9oyWh+S",
    "2vAffHv02DgPiKJ366m7BoOvCEMRJQZ3MkYp14WPyHMft/krSePZNaWs3r7+mSlPw+Av7nSsxRf/qK557ipymza7oiwuOJ7qR/Is",
    "lNLNVKZvSyqeRwo55m7yoBnXn2kUVK4wrOHFmFdY0D7jhQ4mwWqWgELq0fjCGenf5TqtviPa912/OlTZHOysOdM5Ek30qEhoOvdA",
    "MyIgITIdP3GiBTEn/mHhuLJH9JwRCu++UcOdxLdGMdq/AKWM6SXiSQuyPR11zGV3PY6a53hoaeL3VBBme9agDUSnoJCNEyZsLQAf",
    "s2vSkdL5jprnWqpiCCqFkuj58jSJR4NQqAN/HjFKezXdTcraLq7UzLZPXzHPezwOXS3QncPY7qSSF2OOW1in4B1AGHTY0ytplM+q",
    "jirmyqsGEl9IAJFFqUgQM6/AlcTJ9hS2jOiVL2mfShpjlwxytuuEZjzH3midwUqfR6RrxWglcsMYiogL7CNnyP9fKMTg/J1JCbxk",
    "rtd5k56nrxjT2J3rWjHb13/xOuRMRSDJPFYFMEQhej5/4qsWlFr5PpnJpk+JCWfLpJT3VAKktbEbat67B6VoPNwTl/fql6Y6wwFf",
    "UzH3thPRl+co0UiGjfzVJWThWXtXP5tCR6oLFHZMksrhOT1/RK73Aesw6/Mra/YM6bivjwQsJH0dOSwgWrNz3sRkC7a9Z6xjjvlI",
    "OWrgjkxh8iI1CpuJExF65MMElDL544UHksaeVyF7btvI1k1dbhj81Y8kH2VNWC2MDJ9P3netQJLJBchZ/BBKURuFiYiksnhRL6tb",
    "055mXFcea5thNr8218Ct/lzPXScBS5dTGVNLyHMsWCHG5cYrwshZ1jYaqZsqNAy+fwkLffB8L5Knaj7/KtahgKYt7UwGfwGFNCFO",
    "GZY09ro6j6jOseIf2uhUj7dTTDi8PGnu9ENnXltVxVIZZftaJXtB0ti8RMkxV8zWtx3fbzjmyesAz38Kiv2Bk+QORxwpuH3TLnco",
    "twOlVDPhyycllVen7DK4NdTUJnCnbOsHrE8sXdrHEA/I2Rj0I46DLhRzOu1PPJb+3e6/tB9VqSXDVloIdjO1L0TAx41Rfg/E+NLF",
    "e9BOWor+Xaukwt4wyZ4Ts/UeDt9qGHzxArMSX75J1OwBvxDpJVGppV2kIo46mU5F2MJKGss9FjnbzXSubqrYMPitIdO6x5IQnTFl",
    "nlscYIaHfaKzTWBRJ+OYL2xOtIDhgufcw553ejHhjMLz4Nc0D3eypx9kIii6BOfpk5uJgd+Yjojb8fbHFjp/8BCvgWvTJYLGUnAh",
    "8cSc6UqihJvPdcvjEuvTyOr6jVgz4G/GbVT87e9ExlSFouXv2gOw1IZ+1FE46lMso/6yNChiuW8Y2XMm1NTQEPTqqTL2d3Eqc2OV",
    "Q6NJgM3EiyEi4EWDomnD9/EHudTCKhmcDjTF7QnKuVrOjoqjidaX1Wp0q/BUy/a6g3gfonA6G7vbgoTz3tJwB0NPVRCDmdCrffA8",
    "7xt0ChXUOoN51nCmBX37rTN2fzTdJx7RVqE6OLlT4qyGLXxLBA5QqTFz2MB3kgafJOpn4pq37sduw+BeI4mFN0fUYu4qssuqjmFI",
    "18U/O2dKPyOMUHhvUA7UBCETugZ8Bv6u8YnFq08ViH6xEWTmeM6mJWH1/HyNnsmjbFdltln5SP10SS2D20OfmdppGDx7VSv4lVGD",
    "6OAGV3a4MTSl9oMNDtW5bvX5vk6mcL3lqBIu1+YudhXvm0Vwf4zVq1YRU9/TjbDoZkLDVYbkOt/7oU3mdiddP1LxRMPgeyfN6/iA",
    "3+UTLyCyiQvWWdhBHE6ZBO4V6uFGPIcyrRkop4zoDDXDtPi+vWMu3z3I1Oxp50v7p01r8Eid+l4NfGPo6iUV3jzbita53zznjx23",
    "ibNaJjV1xhWEnnuOm0IMSjiaZB0X5VKL4kcG/5Ag+MV74vFlH81x3c4UHJHfXu/AuxYRyRSzi8kWeJ4j6eI2AUdkbD7MOrUrkK4H",
    "Ltq5OAJnSJ6X7hdxw7hDjrlt9KCZZiJ2TRWI/vqqmEOUn9286ViF255ImucELWomQvH2cAvo1XHaGShjrHgJ6EhvT55rh20Z/mbS",
    "jWVR325fFfiv5GZiXCOnuH6u0Az44RM6EM2eFns4TVr7rt+AbiC3BhwbS+jAtAc9hVbEnHNp1lK3rJbatmtSkYXzlhE4NBzq3Vzs",
    "DWom1jH2jqTSraZlktHMNuX5p26M7vJYnTV7dpLZ1et8MIdexinFB0QytuA2G5BL7VT9YFGTTd1GXX6gA+wiI95GKVP5McIYQONS",
    "uG1lCd3JdKxED+TbdLZNKXuuDWqbupm4rVEU9lgg9u2r+b5xNbzuwV+7jEGBkG6jtneCMuC44f+fkWicxKnqHym+w6f0GyW+qqrf",
    "KVkKvtJIg5Ql6xbqv9Pik8S/VBwHDnBW8R48Ak5wDLjAf6qf3oPHwAP+BR4CPehRlECvIll9fw/+VpXsVThAsirxb/BTVboLfKGo",
    "/fawuv4T0IHpqpUvFMdAqWp1pyr1z6qN/wGTkjpI",
]

LEVEL_BLOCKS, LEVEL_SPAWN, LEVEL_GOAL = decode_bank(BANK_DATA)
LEVEL_BITS = np.packbits(LEVEL_BLOCKS, axis=1, bitorder="little")
