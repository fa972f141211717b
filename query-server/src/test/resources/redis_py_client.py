"""Drives Pequod's RESP port with redis-py (Debian's python3-redis) as an application would.

Usage: python3 redis_py_client.py PORT. Exits 0 and prints "redis-py ok" if every check holds;
otherwise an AssertionError names the check. Run by RedisCommandsIT.
"""
import sys
import time

import redis

r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_timeout=30, decode_responses=True)
assert r.ping() is True
r.client_setname("redis-py")
assert r.client_getname() == "redis-py"

assert r.set("py:a", "1") is True
assert r.set("py:a", "2", nx=True) is None, "SET NX on a present key"
assert r.set("py:a", "3", xx=True, get=True) == "1", "SET XX GET answers the old value"
assert r.getset("py:a", "10") == "3"
assert r.incrby("py:a", 5) == 15
assert abs(r.incrbyfloat("py:a", 0.5) - 15.5) < 1e-9
assert r.append("py:s", "hello") == 5 and r.setrange("py:s", 5, " world") == 11
assert r.getrange("py:s", 0, 4) == "hello" and r.strlen("py:s") == 11
assert r.mset({"py:m1": "x", "py:m2": "y"}) is True
assert r.mget("py:m1", "py:m2", "py:none") == ["x", "y", None]
assert r.msetnx({"py:m2": "z", "py:m3": "z"}) is False and r.get("py:m3") is None
assert r.setbit("py:b", 7, 1) == 0 and r.getbit("py:b", 7) == 1

assert r.set("py:t", "v", ex=100) is True
assert 95 <= r.ttl("py:t") <= 100
assert r.persist("py:t") is True and r.ttl("py:t") == -1
assert r.pexpire("py:t", 300) is True
time.sleep(0.5)
assert r.get("py:t") is None and r.exists("py:t") == 0, "expired"

keys = set(r.keys("py:*"))
assert {"py:a", "py:s", "py:m1", "py:m2", "py:b"} <= keys, keys
assert set(r.scan_iter(match="py:m*", count=2)) == {"py:m1", "py:m2"}
assert r.type("py:a") == "string" and r.dbsize() >= len(keys)
assert r.rename("py:m1", "py:m9") is True and r.get("py:m9") == "x"
assert r.getdel("py:m9") == "x" and r.get("py:m9") is None
assert r.delete("py:m2", "py:none") == 1

info = r.info()
assert info["redis_version"] and info["connected_clients"] >= 1, info
assert r.info("keyspace")["db0"]["keys"] == r.dbsize()
with r.pipeline(transaction=False) as p:
    for i in range(100):
        p.set("py:p%d" % i, str(i))
    p.get("py:p42")
    assert p.execute()[-1] == "42"
try:
    r.incr("py:s")
    raise AssertionError("INCR of a non-number must fail")
except redis.ResponseError as e:
    assert "not an integer" in str(e), e
assert r.ping() is True, "the connection stays usable after an error"
print("redis-py ok")
