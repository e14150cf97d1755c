"""Makes MAP_BITS of numbapuffer/envs/moba_data.py from PufferLib 3.0.0's Ocean MOBA map
(pufferlib/ocean/moba/game_map.h: 128x128 bytes, 1 a wall, 0 open ground, as `xxd -i` wrote
them): the walls as bits in reading order, zlib-compressed, in base64. Prints the string.

    python3 benchmarks/moba_map.py PUFFERLIB_SRC/pufferlib/ocean/moba/game_map.h
"""
import base64
import re
import sys
import zlib

import numpy as np


def walls_from_header(text):
    cells = np.array([int(h, 16) for h in re.findall(r"0x([0-9a-fA-F]{2})", text)], np.uint8)
    assert cells.size == 128 * 128 and set(np.unique(cells)) <= {0, 1}, "not the 128x128 map of walls"
    return cells.reshape(128, 128)


def pack(walls):
    return base64.b64encode(zlib.compress(np.packbits(walls.ravel()).tobytes(), 9)).decode()


if __name__ == "__main__":
    s = pack(walls_from_header(open(sys.argv[1]).read()))
    print("\n".join(s[i:i + 96] for i in range(0, len(s), 96)))
