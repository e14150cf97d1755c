"""MOBA's heroes' skills (numbapuffer/envs/moba.py): q, w and e of each of the five heroes, as
PufferLib 3.0.0's C has them (its names: support hook, aoe heal, stun; assassin aoe on
minions, teleport and damage, move buff; burst nuke, aoe, aoe stun; tank aoe damage, self
heal, engage; carry retreat and slow, slow and damage, aoe). Each returns 0 if it was cast;
`t` is the hero's nearest target (NONE if none). Odd as they are, they are the game: the
hook and the engage move the caster towards the target, not the target, and the tank's q
has no cooldown."""
import numpy as np
from numba import njit

from numbapuffer.envs.moba_data import CREEP, KIND, NEUTRAL
from numbapuffer.envs.moba_rules import FOES, NONE, SCAN, SKIP_TOWERS, aoe, attack, heal, i64, move_near, push, scan

f32 = np.float32
SUPPORT, ASSASSIN, BURST, TANK, CARRY = range(5)


@njit(_nrt=False)
def support(s, p, e, slot, t):
    lvl = s.level[e]
    if slot == 0:  # hook: pulls itself towards the target
        if t == NONE or s.mana[e] < 100:
            return 1
        push(s, t, e, -f32(1.5 + 0.1 * lvl))
        s.mana[e] -= 100
        s.q_timer[e] = 15
        return 0
    if slot == 1:  # heals every friendly hero within 5
        if s.mana[e] < 100 or aoe(s, p, e, e, i64(5), f32(-350 - 50 * lvl), i64(0)) != 0:
            return 1
        s.mana[e] -= 100
        s.w_timer[e] = 50
        return 0
    if t == NONE or s.mana[e] < 75 or attack(s, p, e, t, f32(50 + 20 * lvl)) != 0:
        return 1
    s.stun_timer[t] = int(15 + 0.5 * lvl)
    s.mana[e] -= 75
    s.e_timer[e] = 60
    return 0


@njit(_nrt=False)
def assassin(s, p, e, slot, t):
    lvl = s.level[e]
    if slot == 0:  # aoe around itself, aimed at a creep or neutral
        if t == NONE or s.mana[e] < 100 or (KIND[t] != CREEP and KIND[t] != NEUTRAL):
            return 1
        if aoe(s, p, e, t, i64(3), f32(100 + 20 * lvl), i64(0)) != 0:
            return 1
        s.mana[e] -= 100
        s.q_timer[e] = 40
        return 0
    if slot == 1:  # teleports next to the target and hits it (the mana goes even if it misses)
        if t == NONE or s.mana[e] < 150 or move_near(s, e, t) != 0:
            return 1
        s.mana[e] -= 150
        if attack(s, p, e, t, f32(250 + 50 * lvl)) != 0:
            return 1
        s.w_timer[e] = 60
        return 0
    if s.mana[e] < 100:
        return 1
    s.move_modifier[e] = 2
    s.move_timer[e] = 25
    s.mana[e] -= 100
    s.e_timer[e] = 100
    return 0


@njit(_nrt=False)
def burst(s, p, e, slot, t):
    lvl = s.level[e]
    if t == NONE:
        return 1
    if slot == 0:
        if s.mana[e] < 200 or attack(s, p, e, t, f32(250 + 40 * lvl)) != 0:
            return 1
        s.mana[e] -= 200
        s.q_timer[e] = 70
        return 0
    if slot == 1:
        if s.mana[e] < 100 or aoe(s, p, e, t, i64(2), f32(100 + 40 * lvl), i64(0)) != 0:
            return 1
        s.mana[e] -= 100
        s.w_timer[e] = 40
        return 0
    if s.mana[e] < 75 or aoe(s, p, e, t, i64(2), f32(0), i64(10 + 0.5 * lvl)) != 0:
        return 1
    s.mana[e] -= 75
    s.e_timer[e] = 50
    return 0


@njit(_nrt=False)
def tank(s, p, e, slot, t):
    lvl = s.level[e]
    if slot == 0:
        if s.mana[e] < 5 or aoe(s, p, e, e, i64(2), f32(25 + 2.0 * lvl), i64(0)) != 0:
            return 1
        s.mana[e] -= 5
        return 0
    if slot == 1:
        if s.mana[e] < 100 or heal(s, e, e, f32(400 + 125 * lvl)) != 0:
            return 1
        s.mana[e] -= 100
        s.w_timer[e] = 70
        return 0
    if t == NONE or s.mana[e] < 50 or move_near(s, e, t) != 0:
        return 1
    s.mana[e] -= 50
    s.e_timer[e] = 40
    scan(s, e, i64(4), FOES, SKIP_TOWERS)  # then steps towards each foe within 4 in turn
    amount = f32(2.0 + 0.1 * lvl)
    for i in range(min(s.scan_n[e], SCAN)):
        push(s, np.int64(s.scan[e, i]), e, -amount)
    return 0


@njit(_nrt=False)
def carry(s, p, e, slot, t):
    lvl = s.level[e]
    if slot == 0:  # jumps away from the target, slowing it, up to three times
        if t == NONE or s.mana[e] < 25:
            return 1
        err = 1
        for _ in range(3):
            if s.mana[e] < 25:
                return err
            if push(s, t, e, f32(3 + 0.1 * lvl)) == 0:
                s.move_timer[t] = 15
                s.move_modifier[t] = 0.5
                s.mana[e] -= 25
                s.q_timer[e] = 40
                err = 0
        return err
    if t == NONE:
        return 1
    if slot == 1:
        if s.mana[e] < 150 or attack(s, p, e, t, f32(50 + 20 * lvl)) != 0:
            return 1
        s.move_timer[t] = 20 + lvl
        s.move_modifier[t] = 0.5
        s.mana[e] -= 150
        s.w_timer[e] = 40
        return 0
    if s.mana[e] < 100 or aoe(s, p, e, t, i64(2), f32(100 + 20 * lvl), i64(0)) != 0:
        return 1
    s.mana[e] -= 100
    s.e_timer[e] = 40
    return 0


@njit(_nrt=False)
def cast(s, p, e, slot, t):
    """Hero e casts its skill `slot` (0 q, 1 w, 2 e) at t; 0 if it was cast."""
    hero = e % 5
    if hero == SUPPORT:
        return support(s, p, e, slot, t)
    if hero == ASSASSIN:
        return assassin(s, p, e, slot, t)
    if hero == BURST:
        return burst(s, p, e, slot, t)
    if hero == TANK:
        return tank(s, p, e, slot, t)
    return carry(s, p, e, slot, t)
