"""Hostile values for the route census: what an attacker or a careless client sends.

Each value is a str, or bytes for something that is not valid UTF-8. JSON_TOKENS are raw JSON
texts (numbers Python's json turns into inf or giant ints, deep nesting, control characters).
"""
from hypothesis import strategies as st

DEEP = 100_000  # levels of nesting: deeper than Python's recursion limit

INTS = ["0", "-1", "1", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "-9223372036854775809", "9" * 400, "9" * 5000]
FLOATS = ["1e999", "-1e999", "Infinity", "-Infinity", "NaN", "nan", "inf", "1e-999", "1.5", "-0.0",
          "1" + "0" * 400 + ".5", "0x10", "1_000"]
DIGITS = ["١٢٣", "１２３", "߁߂", "৩", "²", "Ⅻ", "٣٠"]  # digits Python's int() reads, and some it does not
CONTROL = ["\x00", "a\x00b", "\r\n", "line\nbreak", "\x1b[31m", "\x7f", "\x08", "\u2028", "\ufeff", "\t"]
DATES = ["0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59", "0000-00-00", "2026-02-30",
         "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "00:00", "23:59", "24:00", "-1-01-01"]
LONG = ["A" * 100_000, "长" * 34_000, "1" * 100_000]
SCHEMES = ["//evil.example", "/%09/evil.example", "/\t/evil.example", "/\\evil.example", "javascript:alert(1)",
           "https://evil.example", "/\r\nSet-Cookie: x=1", "\x00/", "/..%2f..%2f"]
MARKUP = ["<script>alert(1)</script>", "'\"><img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0", "{{7*7}}",
          "'; DROP TABLE member; --", "../../etc/passwd", "%s%s%s", "\\x00"]
CODES = ["r.9223372036854775808.1.x", "r.1.99999999999999999999999.x", "p.١٢.1.x", "m.1.-1.x", "g.2147483648.1.x",
         "r.1.1." + "x" * 100, "m.+1.1_0.x", "r. 1.1.x", "9223372036854775808.x", "１.１"]
INVALID_UTF8 = [b"\xff\xfe", b"ab\xc3", b"\xed\xa0\x80", b"\xc0\xaf"]

STRINGS = INTS + FLOATS + DIGITS + CONTROL + DATES + LONG + SCHEMES + MARKUP + CODES + ["", " ", "y", "on", "true"]

JSON_TOKENS = [
    "1e999", "-1e999", "Infinity", "-Infinity", "NaN", "9" * 400, "-" + "9" * 400, "1" + "0" * 400 + ".0",
    "18446744073709551616", "9223372036854775808", "2147483648", "-1", "0", "1.5", "null", "true", "false",
    '""', '"\\u0000"', '"a\\nb"', '"\\ud800"', '"１２３"', '"0001-01-01T00:00:00"', '"9999-12-31T23:59:59"',
    '"0001-01-01"', "[]", "{}", '[1, 2, 3]', '{"a": 1}', '"' + "x" * 100_000 + '"', "[" * 500 + "]" * 500,
    "[" * DEEP + "]" * DEEP, '{"a":' * 2000 + "1" + "}" * 2000,
]
JSON_BODIES = [b"[" * DEEP + b"]" * DEEP, b'{"a":' * DEEP + b"1" + b"}" * DEEP, b"\xff\xfe{}", b"nul",
               b'{"lat": 1e999}', b"[]", b"1e999", b'"x"', b"{" + b'"a":1,' * 20000 + b'"b":2}']

FILES = [b"", b"\x00" * 64, b"name,phone\n\x00\x00,13800000000\n", b'"' + b"x" * 200_000 + b'"\n',
         b"name,phone\n" + b"a" * 200_000 + b",1\n", "姓名,手机号\n张三,13800138000\n".encode("gbk") + b"\xff",
         b'{"type": "FeatureCollection", "features": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
         b'{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point",'
         b'"coordinates":[1e999, NaN]},"properties":{"name":"\\u0000","code":"x"}}]}',
         b"%PDF-1.4\n" + b"\x00" * 1000, b"\x89PNG\r\n\x1a\n" + b"\xff" * 100]

text_value = st.one_of(st.sampled_from(STRINGS), st.sampled_from(INVALID_UTF8),
                       st.text(max_size=12), st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str))
json_token = st.one_of(st.sampled_from(JSON_TOKENS), st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str))
path_text = st.one_of(st.sampled_from(STRINGS[:-5]), st.sampled_from(INVALID_UTF8), st.text(min_size=1, max_size=12))
path_int = st.one_of(st.sampled_from(INTS[:12]), st.integers(min_value=0, max_value=2 ** 70).map(str))
