#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make_seeds.py - write the hand-made seed inputs of every fuzz target into
tests/fuzz/corpus/<target>/seed-*.  Files already there (the minimized corpus
from scripts/fuzz --merge, and the real e1kd responses seed-e1kd-*) are kept.

    python3 tests/fuzz/make_seeds.py

Binary layouts follow the harnesses: fuzz_rx_writeback.c and
fuzz_adapter_send.c say how they read their input.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def ctl_request():
    seeds = {
        "status": "STATUS\n", "stats": "stats", "pause": "PAUSE\n", "restart": "RESTART\n",
        "halt": "HALT surprise-removed\n", "filter-add": "FILTER ADD 52:54:00:12:34:57\n",
        "filter-list": "FILTER LIST\n", "mcast-del": "MCAST DEL 01:00:5e:00:00:01\n",
        "promisc": "PROMISC on\n", "mtu": "MTU 1500\n", "fault": "FAULT hostile ON\n",
        "spaces": "   pause    now   \n", "empty": "", "newline": "\n", "only-spaces": "     \n",
        "verb31": "A" * 31 + "\n", "verb32": "A" * 32 + "\n",
        "args16": "V" + " a" * 16 + "\n", "args17": "V" + " a" * 17 + "\n",
        "cr": "STATUS\r\n", "nul": "STA\0TUS\n", "tab": "HALT\tstopped\n", "del": "STATUS\x7f\n",
        "high": "STATUS \xc3\xa9\n", "two-newlines": "STATUS\n\n",
        "len4095": "X " + "y" * 4092 + "\n", "len4096": "X " + "y" * 4093 + "\n",
        "len4096-nonl": "X " + "y" * 4093, "len4097": "X " + "y" * 4095,
    }
    for k, v in seeds.items():
        write("ctl_request", k, v)


def ctl_response():
    seeds = {
        "ok-empty": "OK {}\n", "ok-state": 'OK {"state":"Running"}\n',
        "ok-nonl": 'OK {"mtu":1500}', "ok-array": "OK [1,2,3]\n", "ok-bad": "OK {\n",
        "ok-only": "OK\n", "ok-space": "OK \n", "ok-ws": 'OK  { "a" : [ true , null ] }  \n',
        "err": 'ERR EINVAL "usage: PROMISC ON|OFF"\n', "err-num": 'ERR 4000 "x"\n',
        "err-num-big": 'ERR 4096 "x"\n', "err-zero": 'ERR 0 "x"\n',
        "err-alias": 'ERR EOPNOTSUPP "not supported"\n', "err-unknown": 'ERR EWHAT "x"\n',
        "err-nocode": 'ERR  "x"\n', "err-nomsg": "ERR EINVAL\n", "err-notstr": "ERR EINVAL 42\n",
        "err-code23": "ERR " + "E" * 23 + ' "x"\n', "err-code24": "ERR " + "E" * 24 + ' "x"\n',
        "err-escapes": 'ERR EPERM "a\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\u0000z"\n',
        "err-long": 'ERR EIO "' + "\\u00e9" * 300 + '"\n', "err-empty": 'ERR EIO ""\n',
        "err-utf8": 'ERR EIO "\xe2\x82\xac"\n', "neither": "HELLO\n", "empty": "",
        "ok-lower": "ok {}\n",
    }
    for k, v in seeds.items():
        write("ctl_response", k, v)


def json_read():
    seeds = {
        "null": "null", "true": " true ", "false": "false", "zero": "0", "neg0": "-0",
        "frac": "-12.5e+3", "exp": "1E-7", "u64max": "18446744073709551615",
        "u64over": "18446744073709551616", "i64min": "-9223372036854775808",
        "i64under": "-9223372036854775809", "lead0": "01", "dot": "1.", "minus": "-",
        "str": '"plain"', "escapes": '"\\" \\\\ \\/ \\b \\f \\n \\r \\t"',
        "unicode": '"\\u00e9\\u20ac\\ud83d\\ude00"', "lone-hi": '"\\ud83d"',
        "lone-lo": '"\\ude00"', "nul-esc": '"a\\u0000b"', "bad-esc": '"\\x"',
        "raw-ctl": '"a\x01b"', "utf8": '"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"',
        "utf8-overlong": '"\xc0\xaf"', "utf8-surrogate": '"\xed\xa0\x80"',
        "utf8-cut": '"\xe2\x82"', "obj": '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
        "dupkey": '{"a":1,"a":2}', "nulkey": '{"a\\u0000b":1}', "empty-obj": "{ }",
        "empty-arr": "[ ]", "trailing": "{} x", "trailing-comma": "[1,]",
        "missing-colon": '{"a" 1}', "unterminated": '{"a":[1,2', "ws": " \t\r\n[\n1\n]\n ",
        "depth31": "[" * 31 + "]" * 31, "depth32": "[" * 32 + "]" * 32,
        "depth64": "[" * 64 + "]" * 64, "depth65": "[" * 65 + "]" * 65,
        "deep-open": "[" * 5000, "deep-obj": '{"a":' * 64 + "1" + "}" * 64,
        "two-values": "1 2",
    }
    for k, v in seeds.items():
        write("json_read", k, v)


def e1kd_args():
    cmds = [
        [], ["--device", "sim:82540em"], ["--device", "sim:82540em", "--bogus"],
        ["--device", "0000:00:1f.0", "--tap", "e1k0", "--sim-wire", "tap:w0"],
        ["--device", "sim:82574l", "--dpc-workers", "0"],
        ["--device", "sim:82574l", "--dpc-workers", "100000"],
        ["--device", "sim:82540em", "--tx-ring", "100"],
        ["--device", "sim:82540em", "--rx-ring", "8192"],
        ["--device", "sim:82540em", "--tx-ring", "4096", "--rx-ring", "4096"],
        ["--device", "sim:82540em", "--irq-mode", "legacy"],
        ["--device", "sim:82540em", "--irq-mode", "msix", "--itr-ns", "16776960"],
        ["--device", "sim:82540em", "--itr-ns", "16776961"],
        ["--device", "sim:82540em", "--tap", "abcdefghijklmnopq"],
        ["--device", "sim:82540em", "--log-level", "DEBUG", "--halt-when-unbound"],
        ["--device=sim:82540em", "--ctl=/tmp/x.sock", "--report=/tmp/r.json"],
        ["--help"], ["-V"], ["-hV"], ["-x"], ["--dev", "x"], ["--t", "x"], ["--device"],
        ["--device", "x", "extra"], ["--device", "x", "--", "--tap"], ["-", "--device", "x"],
        ["--help=1"], ["--halt-when-unbound=1", "--device", "x"],
        ["--device", "x", "--dpc-workers", "-1"], ["--device", "x", "--dpc-workers", "+5"],
        ["--device", "x", "--tx-ring", "4294967296"], ["--device", "x", "--tx-ring", ""],
        ["--device", "x", "--tap", ""], ["--device", "x", "--tap", "a" * 600],
    ]
    for i, c in enumerate(cmds):
        write("e1kd_args", "cmd%02d" % i, "\0".join(c))


# fuzz_rx_writeback.c: byte 0 = ring size (bits 0-2) | buffer size (bits 3-5);
# u16 pool size; then ops: 0 refill, 1 compact write-back (n, pattern bytes),
# 2 raw write-back (u16 skip, n, then u16 len, status, errors, extra),
# 3 poll (u16 max), 4 return (n), 5 abort, 6 hw_setup, 7 bad put (u16 index).
def rx_writeback():
    def cfg(ring, buf, nbufs):
        return bytes([ring | buf << 3]) + struct.pack("<H", nbufs)

    DD, EOP, CE, TCPE = 1, 2, 4, 8
    L0, L60, LMAX, LOVER = 0x00, 0x10, 0x20, 0x30
    good = DD | EOP | L60
    seeds = {
        "good": cfg(0, 3, 200) + bytes([0, 1, 4, good, good, good, good, 3, 8, 0, 4, 255]),
        "frag": cfg(0, 3, 200) + bytes([0, 1, 6, DD | L60, DD | L60, good, good,
                                        DD | EOP | CE | L60, DD | EOP | TCPE | L60, 3, 64, 0]),
        "lengths": cfg(0, 0, 100) + bytes([0, 1, 4, DD | EOP | L0, DD | EOP | LMAX,
                                           DD | EOP | LOVER, good, 3, 64, 0]),
        "frag-across-polls": cfg(0, 3, 200) + bytes([0, 1, 2, DD | L60, DD | L60, 3, 2, 0,
                                                     1, 2, good, good, 3, 64, 0]),
        "no-dd": cfg(0, 3, 200) + bytes([0, 1, 3, good, EOP | L60, good, 3, 64, 0]),
        "max-limit": cfg(0, 3, 200) + bytes([0, 1, 8] + [good] * 8 + [3, 3, 0, 3, 3, 0, 3, 64, 0]),
        "small-pool": cfg(2, 3, 10) + bytes([0, 1, 10] + [good] * 10 + [3, 255, 0, 0, 4, 5, 0]),
        "pool-empty": cfg(0, 3, 1) + bytes([0, 1, 1, good, 3, 1, 0, 0, 4, 1, 0]),
        "abort": cfg(1, 3, 300) + bytes([0, 1, 4, good, DD | L60, good, good, 5, 0, 6, 0]),
        "hw-setup-mid-frag": cfg(0, 3, 200) + bytes([0, 1, 1, DD | L60, 3, 64, 0, 6, 0,
                                                     1, 1, good, 3, 64, 0]),
        "raw": cfg(0, 3, 200) + bytes([0, 2]) + struct.pack("<HB", 0, 3) +
               struct.pack("<HBBB", 1514, 0x03, 0x00, 0x07) +
               struct.pack("<HBBB", 65535, 0xff, 0xff, 0xff) +
               struct.pack("<HBBB", 64, 0x03, 0x20, 0x00) + bytes([3, 64, 0]),
        "raw-unposted": cfg(0, 3, 200) + bytes([0, 3, 64, 0, 2]) + struct.pack("<HB", 60, 4) +
               struct.pack("<HBBB", 60, 3, 0, 1) * 4 + bytes([0, 3, 64, 0]),
        "bad-put": cfg(0, 3, 200) + bytes([7, 5, 0, 7, 0xff, 0xff, 0, 7, 0, 0]),
        "big-ring": cfg(6, 0, 4000) + bytes([0, 1, 200] + [good] * 200 + [3, 0xff, 0x0f, 0]),
        "big-buf": cfg(0, 6, 64) + bytes([0, 1, 3, DD | EOP | LMAX, DD | EOP | LOVER, good, 3, 64, 0]),
    }
    for k, v in seeds.items():
        write("rx_writeback", k, v)


# fuzz_adapter_send.c: ops 0 send (n-1, then per frame: length selector
# [0 raw u16 | 1 zero | 2 13 | 3 14 | 4 MTU+14 | 5 MTU+15 | 6 65535 | 7 60+6*u8],
# content seed), 1 TAP path (one frame), 2 MTU (selector [bit 3: raw u16]),
# 3 pause/restart.
def adapter_send():
    def frame(sel, *extra):
        return bytes([sel, *extra, 0x5a])

    seeds = {
        "one": bytes([0, 0]) + frame(7, 0),
        "edges": bytes([0, 7]) + frame(3) + frame(4) + frame(7, 100) + frame(5) + frame(1)
                 + frame(2) + frame(6) + frame(3),
        "first-bad": bytes([0, 1]) + frame(1) + frame(3),
        "raw-lens": bytes([0, 3]) + frame(0, 0, 2) + frame(0, 0xea, 5) + frame(0, 0xeb, 5)
                    + frame(0, 0xff, 0xff),
        "tap": bytes([1]) + frame(3) + bytes([1]) + frame(4) + bytes([1]) + frame(5)
               + bytes([1]) + frame(1) + bytes([1]) + frame(6) + bytes([1]) + frame(0, 0, 8)
               + bytes([1]) + frame(0, 1, 8),
        "mtu": bytes([2, 0, 0, 0]) + frame(4) + bytes([0, 0]) + frame(5) + bytes([2, 3, 2, 8 | 0, 0xdc, 0x05]),
        "pause": bytes([3, 0, 0]) + frame(3) + bytes([1]) + frame(3) + bytes([3, 0, 0]) + frame(3),
        "burst": bytes([0, 7]) + frame(7, 200) * 8 + bytes([0, 7]) + frame(7, 200) * 8
                 + bytes([0, 7]) + frame(7, 200) * 8,
    }
    for k, v in seeds.items():
        write("adapter_send", k, v)


def main():
    ctl_request()
    ctl_response()
    json_read()
    e1kd_args()
    rx_writeback()
    adapter_send()
    return 0


if __name__ == "__main__":
    sys.exit(main())
