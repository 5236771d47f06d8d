#!/usr/bin/env python3
"""Generates `tests_cases.rs`: templates and expressions with the results Jinja2 gives.

Each case is lowered with `rustle_invoke.lowering` and evaluated by the oracle of the
differential tests (`tests/jinja_oracle.py`: Jinja2 with Ansible's filters and tests and
strict, chaining undefined values). The Rust tests in `tests_eval.rs` decode the IR, evaluate it
against the same variables and compare. Run from the repository root after changing a case:

    python3 tools/gen_jinja_cases.py > templates/runtime/src/jinja/tests_cases.rs
    rustfmt --edition 2021 templates/runtime/src/jinja/tests_cases.rs

With `--fuzz N FILE`, it writes instead N random variable sets (from hypothesis strategies like
the differential tests') through FUZZ_TEMPLATES, with Jinja2's results, as JSON for the
`external_cases` test:

    python3 tools/gen_jinja_cases.py --fuzz 200 /tmp/cases.json
    RUSTLE_JINJA_CASES=/tmp/cases.json cargo test --offline external_cases

A template case may end with `  ## any-error` when only the failure, not Jinja2's wording,
matters (also where the runtime fails on purpose and Python does not: ints beyond 64 bits,
complex numbers), or `  ## differs` for a documented difference whose result is not checked
(Markup strings).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import jinja_corpus  # noqa: E402
from jinja_oracle import evaluate, render  # noqa: E402

from rustle_invoke.lowering import LoweringError, lower_expression, lower_template  # noqa: E402

VARIABLES: dict[str, Any] = {
    "s": "Hello World",
    "n": 7,
    "neg": -7,
    "f": 2.5,
    "z": 0,
    "t": True,
    "nothing": None,
    "xs": [3, 1, 2],
    "words": ["b", "A", "c", "a", "B"],
    "d": {"b": 2, "a": 1, "c": 3},
    "users": [
        {"name": "bob", "age": 30, "admin": True, "tags": ["x"]},
        {"name": "amy", "age": 25, "admin": False, "tags": []},
        {"name": "cy", "age": 35, "admin": True, "tags": ["y", "z"]},
    ],
    "nested": {"k": {"deep": [1, {"x": "y"}]}, "list": [[1, 2], [3]]},
    "empty": [],
    "empty_d": {},
    "text": "  padded  ",
    "quote": 'it\'s "quoted"\n\ttab\\',
    "uni": "Ünïcödé straße ǅ ΣΑΣ",
    "big": 9223372036854775807,
    "small": -9223372036854775808,
    "floats": [0.1, 1e22, 5e-324, 1.7976931348623157e308, -0.0, 123456789.125, 1e-7],
    "mixed": [1, 2.5, True, None, "s", [1], {"k": "v"}],
    "results": [{"changed": False}, {"changed": True}],
    "path": "/etc/nginx/nginx.conf",
}

CASES: dict[str, list[str]] = {
    "text_of_values": [
        "{{ s }}|{{ n }}|{{ f }}|{{ t }}|{{ nothing }}|{{ big }}|{{ small }}",
        "{{ floats }}",
        "{% for x in floats %}{{ x }} {% endfor %}",
        "{{ xs }} {{ d }} {{ users[0] }} {{ nested }} {{ mixed }} {{ empty }} {{ empty_d }}",
        "{{ quote }}|{{ [quote] }}|{{ {'k': quote} }}|{{ uni }}|{{ [uni] }}",
        "{{ ['\\x00\\x1f\\x7f\\x80\\xa0\\xad', '\\u2028\\ufeff\\U0001f600\\U000e0001'] }}",
        "{{ [\"'\", '\"', '\\'\"'] }}",
        "{{ (1,) }} {{ (1, 'a') }} {{ () }} {{ [(1, 2)] }} {{ {1: 'a', 'b': none, (1, 2): [3]} }}",
        "{{ 1e16 }} {{ 1e15 }} {{ 1e-4 }} {{ 1e-5 }} {{ 123e300 }} {{ 0.5e-310 }} {{ 2.0 ** 60 }}",
        "{{ d.items() }} {{ d.keys() }} {{ d.values() }} {{ {}.items() }}",
        "{{ namespace(a=1, b=[2]) }}",
        "{% for i in xs %}{{ loop }}{% endfor %}",
    ],
    "arithmetic": [
        "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 // -2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ -7.5 // 2 }} {{ -7.5 % 2 }}",
        "{{ 7 / 2 }} {{ 6 / 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2.0 ** 0.5 }} {{ -2 ** 2 }} {{ 10 % 3.5 }}",
        "{{ n + f }} {{ n - 10 }} {{ n * 3 }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ xs + [4] }} {{ s + '!' }}",
        "{{ t + 1 }} {{ t * 3 }} {{ n ~ s ~ f ~ nothing ~ xs }} {{ -n }} {{ +f }} {{ not n }} {{ -t }}",
        "{{ 0.1 + 0.2 }} {{ 1 - 0.9 }} {{ 3 * 0.1 }} {{ 1 / 3 }} {{ 2 / 3 }} {{ 10 / 4 }} {{ -1 / 3 }}",
        "{{ 5 % 0.3 }} {{ -5 % 0.3 }} {{ 5.0 // 0.3 }} {{ -0.0 % 5 }} {{ 0.0 % -5 }} {{ 3 % -1.5 }}",
        "{{ big // 3 }} {{ big % 10 }} {{ small // 7 }} {{ small % 7 }} {{ big / 3 }} {{ small / -1 }}",
        "{{ 9007199254740993 / 1 }} {{ 9007199254740993 * 1.0 }} {{ big - 1 }}",
        "{{ 2 ** 62 }} {{ (-2) ** 63 }} {{ 1 ** -2 }} {{ 4 ** 0.5 }} {{ 0 ** 0 }} {{ 2 ** 0.5 * 2 ** 0.5 }}",
        "{{ (1, 2) + (3,) }} {{ 'a' * 0 }} {{ [1, 2] * -1 }} {{ 2 * (1,) }} {{ true * 'x' }}",
        "{{ 1 / 0 }}",
        "{{ 1.5 / 0 }}",
        "{{ 1 // 0 }}",
        "{{ 1.0 // 0 }}",
        "{{ 1 % 0 }}",
        "{{ 1.0 % 0.0 }}",
        "{{ 0 ** -1 }}",
        "{{ 1 + 'a' }}",
        "{{ 'a' + 1 }}",
        "{{ [1] + (2,) }}",
        "{{ 'a' - 'b' }}",
        "{{ 'a' * 1.5 }}",
        "{{ -'a' }}",
        "{{ {} + {} }}",
        "{{ none + 1 }}",
        "{{ big + 1 }}  ## any-error",
        "{{ 2 ** 64 }}  ## any-error",
        "{{ small // -1 }}  ## any-error",
        "{{ -small }}  ## any-error",
        "{{ 10.0 ** 400 }}",
        "{{ (-8) ** (1 / 3) }}  ## any-error",
    ],
    "comparisons": [
        "{{ 1 == 1.0 }} {{ t == 1 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}",
        "{{ d == {'a': 1, 'c': 3, 'b': 2} }} {{ xs != [3, 1, 2] }} {{ 'a' == 1 }} {{ nothing == none }}",
        "{{ 'ell' in s }} {{ 3 in xs }} {{ 'a' in d }} {{ 'z' not in d }} {{ 1 in [1.0] }} {{ '' in 'x' }}",
        "{{ [1, 2] == (1, 2) }} {{ (1, 2) < (1, 2, 0) }} {{ [[1, 'a']] < [[1, 'b']] }} {{ 'B' < 'a' }} {{ 'é' > 'z' }}",
        "{{ 1 < 1.5 <= 2 }} {{ 9007199254740993 == 9007199254740992.0 }} {{ big > 9.3e18 }} {{ none == 0 }}",
        "{{ d.keys() == ['b', 'a', 'c'] }} {{ d.keys() == {'c': 0, 'a': 0, 'b': 0}.keys() }} {{ 'a' in d.keys() }} {{ 2 in d.values() }} {{ ('a', 1) in d.items() }}",
        "{{ n and s }} {{ z and s }} {{ z or empty or 'last' }} {{ nothing or n }} {{ not empty }}",
        "{{ 'yes' if n > 5 else 'no' }} {{ 'big' if n > 100 }}|{{ s if t else xs }} {{ ('x' if false) is defined }}",
        "{{ 'a' < 1 }}",
        "{{ [1] < ['a'] }}",
        "{{ {} < {} }}",
        "{{ none < none }}",
        "{{ 1 in 'abc' }}",
        "{{ 1 in 5 }}",
        "{{ [1] in d }}",
    ],
    "access": [
        "{{ users[1].name }} {{ users[-1]['age'] }} {{ nested.k.deep[1].x }} {{ d['a'] }} {{ s[0] }} {{ s[-1] }}",
        "{{ s[1:4] }} {{ s[::-1] }} {{ xs[1:] }} {{ xs[:-1] }} {{ s[::2] }} {{ xs[5:] }} {{ s[-3:] }} {{ s[-100:2] }}",
        "{{ xs[::-2] }} {{ xs[10:0:-1] }} {{ s[8:1:-3] }} {{ (1, 2, 3)[1:] }} {{ uni[3:9] }} {{ xs[true:] }}",
        "{{ nested['list'][0][1] }} {{ nested.list.1.0 }} {{ xs[-3] }} {{ d.get('a') }} {{ xs[true] }}",
        "{{ {1: 'x'}[1.0] }} {{ {1: 'x'}[true] }} {{ {(1, 2): 'p'}[(1, 2)] }}",
        "{{ missing is defined }} {{ missing.attr is defined }} {{ d.nope is defined }} {{ d.nope.deeper is defined }} {{ xs[10] is defined }}",
        "{{ missing.a.b | default('chained') }} {{ d.nope | default('dflt') }} {{ xs[9] | default(0) }}",
        "{{ missing }}",
        "{{ missing.attr }}",
        "{{ d.nope }}",
        "{{ d['nope'] }}",
        "{{ d[5] }}",
        "{{ xs[10] }}",
        "{{ xs['a'] }}",
        "{{ xs[1.0] }}",
        "{{ s[50] }}",
        "{{ nothing.x }}",
        "{{ nothing[0] }}",
        "{{ n.real }} {{ t.imag }} {{ f.real }} {{ n.denominator }}",
        "{{ xs[::0] }}",
        "{{ d[1:2] }}",
        "{{ xs[1.5:] }}",
        "{{ {[1]: 2} }}",
        "{{ d[[1]] }}",
    ],
    "string_methods": [
        "{{ s.upper() }} {{ s.lower() }} {{ text.strip() }}|{{ text.lstrip() }}|{{ text.rstrip() }}",
        "{{ 'a,b,,c'.split(',') }} {{ s.split() }} {{ 'a,b,,c'.split(',', 1) }} {{ 'a,b,,c'.rsplit(',', 1) }}",
        "{{ '  a  b  '.split(None, 1) }} {{ '  a  b  '.rsplit(None, 1) }} {{ ''.split() }} {{ ''.split(',') }} {{ 'a b'.split(maxsplit=0) }}",
        "{{ s.startswith('Hell') }} {{ s.endswith(('x', 'ld')) }} {{ s.replace('l', 'L') }} {{ s.replace('l', 'L', 2) }} {{ 'ab'.replace('', '-') }}",
        "{{ s.find('o') }} {{ s.rfind('o') }} {{ s.count('l') }} {{ '-'.join(['a', 'b']) }} {{ 'x'.zfill(3) }} {{ '-1'.zfill(4) }}",
        "{{ s.find('o', 5) }} {{ s.find('o', 5, 6) }} {{ s.index('W') }} {{ s.startswith('World', 6) }} {{ 'aaaa'.count('aa') }}",
        "{{ 'hello world'.title() }} {{ \"they're bill's\".title() }} {{ 'hELLO'.capitalize() }} {{ uni.title() }} {{ uni.capitalize() }}",
        "{{ '42'.isdigit() }} {{ 'ab'.isalpha() }} {{ 'a1'.isalnum() }} {{ ' \\t'.isspace() }} {{ ''.isdigit() }} {{ '²'.isdigit() }} {{ 'Ab'.isupper() }} {{ 'ab1'.islower() }}",
        "{{ 'a\\nb\\r\\nc'.splitlines() }} {{ 'a\\nb\\n'.splitlines(true) }} {{ 'ab'.center(6, '*') }} {{ 'ab'.center(7, '*') }} {{ 'ab'.ljust(4) }}|{{ 'ab'.rjust(4, '.') }}",
        "{{ '{} and {}'.format('a', 1) }} {{ '{0}{0}'.format('x') }} {{ 'xxhixx'.strip('x') }} {{ '{x}-{y}'.format(x=1, y=[2]) }}",
        "{{ '{:>6}|{:<6}|{:^6}|{:*^7}'.format('a', 'b', 'c', 'd') }} {{ '{:05.2f}|{:,}|{:x}|{:#o}|{:+d}|{:e}'.format(3.14159, 1234567, 255, 8, 5, 12345.678) }}",
        "{{ '{:.3}|{:.2%}|{:g}|{:10.3e}|{:_b}|{:08.3f}'.format(3.14159, 0.256, 1e-5, 123456.0, 255, -3.14159) }}",
        "{{ '{!r} {!s} {0[1]} {1[k]}'.format('q', {'k': 'v'}) }}  ## any-error",
        "{{ '{0!r} {0!s} {0[1]} {1[k]}'.format('qz', {'k': 'v'}) }}",
        "{{ '{} {}'.format(1) }}",
        "{{ '{0} {}'.format(1, 2) }}",
        "{{ '{'.format(1) }}",
        "{{ 'abc'.index('z') }}",
        "{{ 'a'.split('') }}",
        "{{ 'a'.center(3, 'xy') }}",
        "{{ '-'.join([1, 2]) }}",
        "{{ n.upper() }}",
        "{{ missing.upper() }}",
    ],
    "dict_and_list_methods": [
        "{{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} {{ d.get('q', 'dflt') }} {{ d.get('q') }}",
        "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {{ d.copy() }} {{ xs.index(1) }} {{ xs.count(3) }} {{ (1, 1).count(1) }}",
        "{{ d.keys() | length }} {{ d.values() | sort }} {{ d.items() | first }} {{ d.keys() | last }} {{ d.items() | list | last }}",
        "{{ xs.index(9) }}",
        "{{ d.keys()[0] }}",
    ],
    "statements": [
        "{% if n > 10 %}big{% elif n > 5 %}medium{% else %}small{% endif %}",
        "{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.depth }}/{{ loop.depth0 }} {% endfor %}",
        "{% for x in xs %}{{ loop.previtem | default('^') }}-{{ x }}-{{ loop.nextitem | default('$') }} {% endfor %}",
        "{% for x in xs if x > 1 %}{{ x }}:{{ loop.length }}:{{ loop.last }} {% else %}none{% endfor %}",
        "{% for x in xs if x > 5 %}{{ x }}{% else %}none {{ x is defined }}{% endfor %}",
        "{% for x in empty %}{{ x }}{% else %}empty!{% endfor %}",
        "{% for x in words %}{{ loop.cycle('odd', 'even') }} {% endfor %}",
        "{% for u in users %}{% if loop.changed(u.admin) %}[{{ u.admin }}]{% endif %}{{ u.name }} {% endfor %}",
        "{% for x in [1, 1, 2] %}{{ loop.changed(x) }}{{ loop.changed() }} {% endfor %}",
        "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}{% for c in 'abc' %}{{ c }}.{% endfor %}",
        "{% for k in d %}{{ k }}{% endfor %} {% for row in nested.list %}{% for v in row %}{{ v }}{{ loop.index }}{% endfor %};{{ loop.index }}{% endfor %}",
        "{% for i in [[1, 2]] %}{% for i in i %}{{ i }}{% endfor %}{{ i }}{% endfor %}",
        "{% for x in xs %}{% for y in xs if y > loop.index %}{{ y }}{% endfor %};{% endfor %}",
        "{% set x = 5 %}{{ x }} {% set a, b = 1, 2 %}{{ a }}{{ b }} {% set ys = xs | sort %}{{ ys }} {% set tup = 1, 2 %}{{ tup }}",
        "{% set total = 0 %}{% for x in xs %}{% set total = total + x %}{{ total }},{% endfor %}{{ total }}",
        "{% set y = 1 %}{% for x in xs %}{{ y }}{% set y = x %}{{ y }} {% endfor %}{{ y }}",
        "{% for x in xs %}{% if loop.first %}{% set seen = 1 %}{% endif %}{{ seen is defined }} {% endfor %}",
        "{{ n }}{% set n = 1 %}{{ n }}{% if true %}{% set n = 2 %}{% endif %}{{ n }}",
        "{% set ns = namespace(total=0, seen=[]) %}{% for x in xs %}{% set ns.total = ns.total + x %}{% set ns.seen = ns.seen + [x] %}{% endfor %}{{ ns.total }} {{ ns.seen }}",
        "{% set ns = namespace(found=false) %}{% for x in xs if not ns.found %}{{ x }}{% if x == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}",
        "{% set ns = namespace(c=0) %}{% for x in xs if ns.c < 2 %}{% set ns.c = ns.c + 1 %}{{ x }}{{ loop.last }} {% endfor %}",
        "{% set block %}inner {{ n }}{% endset %}[{{ block }}] {{ block is string }}",
        "{% with a = 1, b = n %}{{ a + b }}{% set c = 3 %}{{ c }}{% endwith %}{{ c is defined }} {% set a = 5 %}{% with a = 2, b = a %}{{ b }}{% endwith %}",
        "a  {%- if t %}  yes  {%- endif -%}  b\n  {{- ' c' }}",
        "{# a comment #}x{# another\nmulti-line #}y{% raw %}{{ not rendered }}{% endraw %}",
        "{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }} {{ range(0) | list }} {{ range(-3) | list }}",
        "{% for i in range(3) %}{{ i }}{% endfor %} {{ dict(a=1, b='x') }} {{ dict() }} {{ dict({'a': 1}, b=2) }} {{ dict([('a', 1), ['b', 2]]) }}",
        "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns['a'] }} {{ ns.c is defined }}",
        "{% for a, b in [(1, 2, 3)] %}{% endfor %}",
        "{% for a, b in [(1,)] %}{% endfor %}",
        "{% for a, b in [1] %}{% endfor %}",
        "{% for x in n %}{% endfor %}",
        "{% for x in nothing %}{% endfor %}",
        "{% set ns = 5 %}{% set ns.x = 1 %}",
        "{% for x in xs %}{{ loop.cycle() }}{% endfor %}",
        "{% for x in xs %}{{ loop.nope }}{% endfor %}",
        "{{ range(1, 2, 0) | list }}",
        "{{ range(1.5) | list }}",
        "{{ dict([(1, 2, 3)]) }}",
        "{{ loop }}",
    ],
    "filters_text": [
        "{{ missing | default('dflt') }} {{ missing | d(n) }} {{ '' | default('e', true) }} {{ nothing | default('x') }} {{ 0 | default('z', boolean=true) }} {{ missing | default }}|",
        "{{ s | lower }} {{ s | upper }} {{ 'hELLO wORLD' | capitalize }} {{ 'hello-world (x) [y]' | title }} {{ uni | title }} {{ uni | upper }} {{ uni | lower }}",
        "{{ \"it's o'neil\" | title }} {{ 'a\\tb{c<d' | title }} {{ 12 | upper }} {{ xs | lower }}",
        "[{{ text | trim }}] [{{ 'xxaxx' | trim('x') }}] {{ s | replace('o', '0') }} {{ s | replace('l', '', 1) }} {{ 123 | replace(2, 9) }}",
        "{{ xs | join }} {{ xs | join(', ') }} {{ users | join(', ', attribute='name') }} {{ nested.list | join('|', attribute=0) }}",
        "{{ xs | length }} {{ s | length }} {{ d | count }} {{ xs | first }} {{ xs | last }} {{ s | first }} {{ s | last }} {{ d | first }}",
        "{{ '42' | int }} {{ '12.75' | int }} {{ 'x' | int }} {{ 'x' | int(9) }} {{ '0x1A' | int(0, 16) }} {{ '0b101' | int(base=0) }} {{ '0o17' | int(base=8) }}",
        "{{ ' 42 ' | int }} {{ '1_000' | int }} {{ '1e3' | int }} {{ '-3.9' | int }} {{ nothing | int }} {{ xs | int }} {{ '010' | int(base=0) }} {{ 'ff' | int(base=16) }}",
        "{{ '42' | float }} {{ 'x' | float }} {{ n | float }} {{ f | int }} {{ t | int }} {{ -2.7 | int }} {{ ' 1e-3 ' | float }} {{ 'inf' | float }} {{ 'x' | float('d') }}",
        "{{ n | string }} {{ xs | string }} {{ s | list }} {{ d | list }} {{ 'ab' | list }} {{ nothing | string }}",
        "{{ words | sort }} {{ words | sort(case_sensitive=true) }} {{ words | sort(reverse=true) }} {{ [3, 1.5, true, 0] | sort }}",
        "{{ users | sort(attribute='age') | map(attribute='name') | list }} {{ users | sort(attribute='admin,age') | map(attribute='name') | list }}",
        "{{ [{'a': {'b': 2}}, {'a': {'b': 1}}] | sort(attribute='a.b') }} {{ [[2, 'b'], [1, 'a'], [2, 'a']] | sort }} {{ [[2, 'b'], [1, 'a']] | sort(attribute='1') }}",
        "{{ words | unique | list }} {{ words | unique(case_sensitive=true) | list }} {{ [1, 1.0, '1', true] | unique | list }} {{ users | unique(attribute='admin') | map(attribute='name') | list }}",
        "{{ xs | min }} {{ xs | max }} {{ words | min }} {{ words | max }} {{ words | max(case_sensitive=true) }} {{ users | max(attribute='age') }} {{ users | min(attribute='name') }}",
        "{{ xs | sum }} {{ users | sum(attribute='age') }} {{ [[1], [2]] | sum(start=[]) }} {{ [0.1, 0.2, 0.3] | sum }} {{ [1, 2.5] | sum(start=10) }}",
        "{{ neg | abs }} {{ -2.5 | abs }} {{ t | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }} {{ 7 | round }}",
        "{{ 1234 | round(-2) }} {{ 1250 | round(-2) }} {{ 1350.0 | round(-2) }} {{ 5 | round(method='ceil') }} {{ 1234.5 | round(-2, 'floor') }} {{ -0.5 | round }} {{ 1.25 | round(1) }} {{ 0.125 | round(2) }} {{ 1e20 | round(2) }}",
        "{{ xs | reverse | list }} {{ s | reverse }} {{ d | reverse | list }} {{ xs | map('string') | list }} {{ words | map('upper') | join }}",
        "{{ ['1', '2'] | map('int') | sum }} {{ users | map(attribute='missing', default='-') | list }} {{ xs | map('round', 1) | list }} {{ nested.list | map('join', ',') | list }}",
        "{{ xs | select('odd') | list }} {{ xs | reject('odd') | list }} {{ mixed | select | list }} {{ xs | select('gt', 1) | list }} {{ mixed | reject('none') | list }}",
        "{{ users | selectattr('admin') | map(attribute='name') | list }} {{ users | rejectattr('admin') | map(attribute='name') | list }} {{ nothing | select | list }}",
        "{{ users | selectattr('age', 'gt', 26) | map(attribute='name') | list }} {{ users | selectattr('name', 'eq', 'amy') | list | length }} {{ users | selectattr('tags') | list | length }}",
        "{{ users | selectattr('name', 'in', ['bob', 'cy']) | map(attribute='age') | list }} {{ users | selectattr('tags.0', 'defined') | map(attribute='name') | list }}",
        "{{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }} {{ {'B': 1, 'a': 2} | dictsort }} {{ {'B': 1, 'a': 2} | dictsort(true) }}",
        "{{ range(7) | batch(3) | list }} {{ range(7) | batch(3, 'x') | list }} {{ [1, 2] | batch(0) | list }} {{ [] | batch(2) | list }}",
        "{{ '%s-%d' | format('a', 5) }} {{ '%05.2f|%-4s|%x|%r|%X|%o|%#x|%+d|% d|%e|%g|%G|%%' | format(3.14159, 'ab', 255, 'q', 255, 8, 255, 5, 5, 12345.678, 0.00001, 1e20) }}",
        "{{ '%(a)s-%(b)05d' | format(a=1, b=42) }} {{ '%s' % 'x' }} {{ '%s and %s' % (1, 2) }} {{ '%s' % [1, 2] }} {{ '%s' % {'k': 1} }} {{ '%.3s|%5.1s|%c|%c' % ('abcdef', 'xyz', 65, 'z') }}",
        "{{ '%d' % 3.9 }} {{ '%i' % -2.5 }} {{ '%5.3d' % 7 }} {{ '%-6.2f|' % 1.005 }} {{ '%.0f %.0f %.0f' % (0.5, 1.5, 2.5) }} {{ '%#.0f %#g' % (3.0, 1.5) }} {{ '%*d|%-*d|' % (4, 1, 3, 2) }}",
        "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}|{{ 'a\\nb' | indent('> ') }}|{{ '' | indent(first=true) }}|",
        "{{ d | tojson }} {{ quote | tojson }} {{ '<a&b>\\'' | tojson }} {{ mixed | tojson }} {{ d | tojson(indent=2) }} {{ uni | tojson }} {{ floats | tojson }}",
        "{{ d | items | list }} {{ missing | items | list }} {{ 'one two  three_4 é' | wordcount }} {{ 'abc' | center(7) }}| {{ 'abc' | center }}|",
        "{{ 'a long sentence here' | truncate(9) }} {{ 'a long sentence here' | truncate(9, true) }} {{ 'short' | truncate(9) }} {{ 'abcdefghijklmn' | truncate(10) }} {{ 'a b c d e f g' | truncate(8, leeway=0) }} {{ 'abcdefgh' | truncate(5, end='!', leeway=0) }}",
        "{{ '<a href=\"x\">&\\'</a>' | escape }} {{ '<b>' | e }} {{ 5 | e }} {{ nothing | e }}",
        "{{ 'x' | truncate(2) }}",
        "{{ 'abc' | round }}",
        "{{ 1.5 | round(method='up') }}",
        "{{ ['a', 'b'] | sum(start='') }}",
        "{{ [1, 'a'] | sum }}",
        "{{ [1, 'a'] | sort }}",
        "{{ [1, 'a'] | max }}",
        "{{ [[1]] | unique | list }}",
        "{{ n | first }}",
        "{{ n | last }}",
        "{{ n | length }}",
        "{{ n | list }}",
        "{{ d | dictsort(by='x') }}",
        "{{ xs | dictsort }}",
        "{{ xs | items | list }}",
        "{{ '%s %s' | format(1) }}",
        "{{ '%s' | format(1, 2) }}",
        "{{ '%d' | format('x') }}",
        "{{ '%x' | format(1.5) }}",
        "{{ '%s' | format(1, a=2) }}",
        "{{ '%(a)s' % {} }}",
        "{{ 'x' | indent(1.5) }}",
        "{{ 'x' | center(2.5) }}",
        "{{ missing | upper }}",
        "{{ missing | length }}",
        "{{ missing | list }}",
        "{{ empty | first }}",
        "{{ empty | last }}",
        "{{ empty | min }}",
        "{{ 'a' | float }} {{ 'nan' | float }} {{ '1_0' | float }} {{ 'infinity' | float }} {{ '-0' | float }}",
        "{{ 'inf' | int }} {{ 'nan' | int(3) }}",
        "{{ 1e300 | int }}  ## any-error",
        "{{ '1e300' | int }}  ## any-error",
        "{{ '12' | int(base=1) }} {{ '12.5' | int(base=40) }}",
    ],
    "filters_ansible": [
        "{% for b in ['yes', 'no', 'on', 'off', 'true', 'False', '1', '0', 'maybe', 'YES', ' yes'] %}{{ b | bool }} {% endfor %}{{ 1 | bool }} {{ 1.0 | bool }} {{ 2 | bool }} {{ nothing | bool }} {{ t | bool }} {{ xs | bool }}",
        "{{ t | ternary('yes', 'no') }} {{ z | ternary('yes', 'no') }} {{ nothing | ternary('y', 'n', 'null') }} {{ nothing | ternary('y', 'n') }} {{ empty | ternary(1, 2) }}",
        "{{ d | to_json }} {{ quote | to_json }} {{ uni | to_json }} {{ mixed | to_json }} {{ d | to_json(sort_keys=true) }} {{ d | to_json(indent=2) }} {{ floats | to_json }}",
        "{{ d | to_nice_json }} {{ users[0] | to_nice_json(indent=2) }} {{ empty | to_nice_json }} {{ uni | to_nice_json }} {{ {1: 'a', 'b': none} | to_json }}",
        '{{ \'[1, 2.5, {"a": null, "a": true}]\' | from_json }} {{ (\'{"k": [1, "x"]}\' | from_json).k[1] }} {{ \'"s"\' | from_json }} {{ \' 7 \' | from_json }}',
        "{{ path | basename }} {{ path | dirname }} {{ 'noslash' | dirname }}|{{ '/x/' | basename }}|{{ '//' | dirname }}|{{ '/a//b' | dirname }}|{{ '/' | dirname }}|{{ 'a/' | dirname }}",
        "{{ n | mandatory }} {{ d | combine({'a': 9, 'z': 0}) }} {{ {'a': {'x': 1}} | combine({'a': {'y': 2}}, recursive=true) }} {{ {'a': {'x': 1}} | combine({'a': {'y': 2}}) }}",
        "{{ {'a': [1]} | combine({'a': [2]}, list_merge='append') }} {{ {'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='prepend_rp') }} {{ {'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='append_rp') }} {{ {'a': [1]} | combine({'a': [2]}, list_merge='keep') }} {{ {'a': [1]} | combine({'a': [2]}, list_merge='prepend') }}",
        "{{ {'a': 1} | combine({'b': 2}, {'a': 3}) }} {{ {'a': 1, 'b': 2} | combine({'b': 2, 'a': 1}) }} {{ [{'a': 1}, none, [{'b': 2}]] | combine }} {{ {} | combine({'x': 1}) }} {{ {'x': 1} | combine({}) }}",
        "{{ {'a': {'x': {'p': 1}}, 'l': [1]} | combine({'a': {'x': {'q': 2}}, 'l': [2]}, recursive=true, list_merge='append') }}",
        "{{ d | dict2items }} {{ d | dict2items(key_name='k', value_name='v') }} {{ [{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}] | items2dict }} {{ [{'n': 'a', 'v': 1}] | items2dict('n', 'v') }}",
        "{{ missing | mandatory }}",
        "{{ d.nope | mandatory }}",
        "{{ missing | mandatory('custom message') }}",
        "{{ {'a': 1} | combine(5) }}  ## any-error",
        "{{ {'a': 1} | combine({}, list_merge='bad') }}  ## any-error",
        "{{ {'a': 1} | combine({}, bad=1) }}",
        "{{ xs | dict2items }}",
        "{{ d | items2dict }}",
        "{{ [{'key': 'a'}] | items2dict }}",
        "{{ 'x' | from_json }}  ## any-error",
        "{{ 5 | from_json }}",
        "{{ 5 | basename }}",
        "{{ missing | to_json }}  ## any-error",
    ],
    "tests": [
        "{{ n is defined }} {{ missing is defined }} {{ missing is undefined }} {{ missing.attr is defined }} {{ nothing is none }} {{ missing is none }} {{ missing is string }}",
        "{{ t is boolean }} {{ n is number }} {{ f is number }} {{ t is number }} {{ n is integer }} {{ t is integer }} {{ f is float }} {{ s is string }}",
        "{{ d is mapping }} {{ xs is sequence }} {{ s is sequence }} {{ d is sequence }} {{ n is iterable }} {{ xs is iterable }} {{ d is iterable }} {{ s is iterable }} {{ missing is sequence }} {{ missing is mapping }}",
        "{{ n is eq 7 }} {{ n is ne 7 }} {{ n is lt 8 }} {{ n is le 7 }} {{ n is gt 7 }} {{ n is ge 7 }} {{ n is equalto 7 }} {{ 3 is in xs }} {{ 'a' is in 'cat' }}",
        "{{ n is even }} {{ n is odd }} {{ 9 is divisibleby 3 }} {{ 9.0 is divisibleby 2 }} {{ -3 is odd }} {{ 3.0 is odd }} {{ nothing is sameas none }} {{ t is sameas true }} {{ 1 is sameas 1 }} {{ xs is sameas xs }}",
        "{{ 'ab' is lower }} {{ 'AB' is upper }} {{ 'Ab' is lower }} {{ '1' is upper }} {{ n is not defined }} {{ s is not string }} {{ t is true }} {{ t is false }} {{ false is false }} {{ 1 is true }}",
        "{{ n is callable }} {{ s is escaped }} {{ missing is callable }} {{ xs is callable }}",
        "{{ (s | e) is escaped }}  ## differs",
        "{{ {'changed': true, 'failed': false} is succeeded }} {{ {'changed': true} is changed }} {{ {'failed': true} is failed }} {{ {'failed': true} is success }} {{ {'skipped': true} is skipped }} {{ {} is skipped }} {{ {} is changed }}",
        "{{ {'results': results} is changed }} {{ {'results': [{'changed': false}]} is changed }} {{ {'failed': 'yes'} is failed }} {{ {'failed': 1} is success }} {{ {'changed': 0} is change }}",
        "{{ '/' is directory }} {{ '/' is exists }} {{ '/nonexistent/x' is exists }} {{ 'rel' is abs }} {{ '/abs' is abs }} {{ '/' is file }} {{ '/' is link }} {{ '/' is is_dir }}",
        "{{ xs | select('divisibleby', 3) | list }} {{ mixed | select('string') | list }} {{ mixed | select('number') | list }} {{ mixed | reject('mapping') | list }}",
        "{{ missing is iterable }}",
        "{{ missing is eq 1 }}",
        "{{ missing is even }}",
        "{{ 'x' is odd }}",
        "{{ n is divisibleby 0 }}",
        "{{ n is failed }}",
        "{{ {'results': []} is changed }}  ## any-error",
        "{{ n is exists }} {{ n is file }}",
        "{{ missing is in [1] }}",
        "{{ missing is in [] }}",
    ],
    "globals": [
        "{{ range(3) | list }} {{ range(2, -2, -1) | list }} {{ range(1, 2) | list }} {{ range(10, 1) | list }}",
        "{{ lookup('env', 'RUSTLE_JINJA_UNIT_UNSET') }}|",
        "{{ range() | list }}  ## any-error",
        "{{ range(1, 2, 3, 4) | list }}  ## any-error",
        "{{ dict(1) }}",
    ],
    "undefined_semantics": [
        "{{ missing ~ 'x' }}",
        "{{ missing + 1 }}",
        "{{ missing == 1 }}",
        "{{ 1 == missing }}",
        "{{ missing < 1 }}",
        "{% if missing %}x{% endif %}",
        "{% for x in missing %}{% endfor %}",
        "{{ not missing }}",
        "{{ missing and true }}",
        "{{ false and missing }} {{ true or missing }}",
        "{{ d.nope.deeper }}",
        "{{ missing[0] }}",
        "{{ missing['k'].x }}",
        "{{ [missing] | length }}",
        "{{ missing | default(missing2) }}",
        "{{ ('a' if false) }}|{{ ('a' if false) | list }}|{{ ('a' if false) | length }}|{{ ('a' if false) ~ 'x' }}|{{ ('a' if false) == ('b' if false) }}|{{ ('a' if false) is defined }}",
        "{{ ('a' if false) + 1 }}  ## any-error",
        "{{ ('a' if false).x }}  ## any-error",
        "{{ ('a' if false) | tojson }}  ## any-error",
        "{{ xs | first | default('-') }} {{ empty | first | default('-') }} {{ empty | min | default('-') }}",
        "{{ missing | default(none) is none }} {{ [] | default('x', true) }} {{ missing | d | length }}",
    ],
}

EXPRESSIONS: list[str] = [
    "xs",
    "d",
    "users | selectattr('admin') | list",
    "xs | map('string') | list",
    "n + 1",
    "f * 2",
    "7 / 2",
    "t",
    "nothing",
    "s ~ n",
    "d | dict2items",
    "'[1, 2.5, {\"a\": null}]' | from_json",
    "range(4) | list",
    "xs | sort | first",
    "{'k': [1, 2], 'n': none}",
    "d.keys() | list",
    "(1, 2)",
    "d.items() | list",
    "users[0]",
    "nested.k",
    "big",
    "floats",
    "{1: 'a', 2.5: 'b', none: 'c', true: 'd'}",
    "[1, 2] + [3]",
    "'a' if false else none",
    "xs | sum / xs | length",
    "dict(a=[1, (2, 3)])",
    "'%05.1f' % f",
    "uni.upper()",
    "d | combine({'z': {'y': 1}})",
]


# Templates over `x` and `y` for `--fuzz` (each is prefixed with "{{ '' }}" to render as text).
FUZZ_TEMPLATES: list[str] = [
    "{{ x }} {{ [x, y] }} {{ {'k': x, 'o': y} }} {{ x ~ y }}",
    "{{ x == y }} {{ x != y }} {{ x in y }}",
    "{{ x < y }}",
    "{{ x + y }}",
    "{{ x - y * 2 }}",
    "{{ x / y }} {{ x // y }} {{ x % y }}",
    "{{ x ** 2 }}",
    "{% if x %}T{% else %}F{% endif %} {{ not y }} {{ x and y }} {{ x or y }}",
    "{{ x | tojson }} {{ x | to_json }} {{ x | to_nice_json }} {{ x | tojson(2) }}",
    "{{ x | string }} {{ x | string | length }} {{ x | escape }}",
    "{{ x is number }} {{ x is string }} {{ x is mapping }} {{ x is sequence }} {{ x is none }}",
    "{{ x | bool }} {{ x | ternary('yes', 'no') }} {{ x | default('d') }}",
    "{{ x | int }} {{ x | float }} {{ x | abs }}",
    "{{ x | round(1) }} {{ x | round }} {{ x | round(0, 'ceil') }} {{ x | round(1, 'floor') }}",
    "{{ x | sort }} {{ x | sort(reverse=true) }}",
    "{{ x | unique | list }} {{ x | reverse | list }} {{ x | list }}",
    "{{ x | length }} {{ x | first }} {{ x | last }}",
    "{{ x | min }} {{ x | max }} {{ [x, y] | max }}",
    "{{ x | sum }} {{ x | sum(start=0.5) }}",
    "{{ x | join(',') }} {{ x | map('string') | list }} {{ x | select | list }}",
    "{{ x | upper }} {{ x | lower }} {{ x | title }} {{ x | capitalize }} {{ x | wordcount }}",
    "{{ x.split() }} {{ x.title() }} {{ x.capitalize() }} {{ x.strip() }} {{ x.splitlines() }}",
    "{{ x.isdigit() }} {{ x.isalpha() }} {{ x.isalnum() }} {{ x.isspace() }} {{ x.islower() }}",
    "{{ x | trim }} {{ x | string | truncate(8) }} {{ x | string | center(9) }}|",
    "{{ x | dictsort }} {{ x | dict2items }} {{ y | combine(x) }}",
    "{% for i in x %}{{ loop.index }}={{ i }};{% endfor %}",
    "{{ x[1:] }} {{ x[::-1] }} {{ x[0] }} {{ x[-1] }}",
    "{{ '%s|%r' % (x, y) }} {{ '%.3f|%e|%g|%10.4s|%-5d|' % (x, x, x, x, x) }}",
    "{{ '{:>8}|{!r}'.format(x, y) }}",
    "{{ x is divisibleby 3 }} {{ x is even }} {{ x is lower }}",
    "{{ x.split(y) }} {{ x.replace(y, 'Z') }} {{ x.find(y) }} {{ x.count(y) }} {{ x.startswith(y) }}",
    "{{ x.center(10, '*') }} {{ x.zfill(8) }} {{ x | trim(y) }} {{ x.rsplit(y, 1) }}",
    "{{ x | int(-1, 16) }} {{ x | int(-1, 0) }} {{ x | float(-1) }} {{ x | from_json }}",
]


def fuzz(count: int, path: str) -> None:
    """Writes `count` random (x, y) variable sets through FUZZ_TEMPLATES with Jinja2's results."""
    import warnings

    from hypothesis import strategies as st

    warnings.filterwarnings("ignore")
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**31), max_value=2**31),
        st.floats(allow_nan=False, allow_infinity=False, min_value=-9e18, max_value=9e18),
        st.text(st.characters(exclude_categories=("Cs", "Cn")), max_size=12),
        st.text(alphabet="aAbB ,.-_\n\tΣσςΑß'\"\\{}%01x²١é", max_size=10),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=5), inner, max_size=4),
        ),
        max_leaves=8,
    )
    irs = {t: lower_template("{{ '' }}" + t) for t in FUZZ_TEMPLATES}
    cases = []
    for _ in range(count):
        variables = {"x": values.example(), "y": values.example()}
        for template in FUZZ_TEMPLATES:
            ok, result = render("{{ '' }}" + template, variables)
            cases.append(
                {
                    "source": template,
                    "ir": irs[template],
                    "vars": variables,
                    "ok": ok,
                    "expect": result,
                }
            )
    Path(path).write_text(json.dumps(cases), "utf-8")


def rust_str(text: str) -> str:
    out = ['"']
    for c in text:
        code = ord(c)
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif 0x20 <= code < 0x7F:
            out.append(c)
        else:
            out.append(f"\\u{{{code:x}}}")
    out.append('"')
    return "".join(out)


def main() -> None:
    lines = [
        "//! Generated by `tools/gen_jinja_cases.py` (expected results from Jinja2 "
        f"{__import__('jinja2').__version__}); do not edit.",
        "",
        "use super::tests_eval::{Case, Expect};",
        "",
        f"pub(super) const VARIABLES: &str = {rust_str(json.dumps(VARIABLES))};",
        "",
        "/// The variables of the differential tests' corpus (`tests/jinja_corpus.py`).",
        "pub(super) const CORPUS_VARIABLES: &str = "
        f"{rust_str(json.dumps(jinja_corpus.VARIABLES))};",
        "",
    ]
    groups = [(group, templates, VARIABLES) for group, templates in CASES.items()]
    corpus = jinja_corpus.TEXT_TEMPLATES + [t for t, _ in jinja_corpus.FAILING]
    groups.append(("corpus", corpus, jinja_corpus.VARIABLES))
    for group, templates, variables in groups:
        lines.append(f"pub(super) const {group.upper()}: &[Case] = &[")
        for raw in templates:
            source, _, flag = raw.partition("  ## ")
            try:
                ir = json.dumps(lower_template(source))
            except LoweringError as exc:
                sys.exit(f"{source!r} does not lower: {exc}")
            ok, result = render(source, dict(variables))
            if flag == "any-error":
                expect = "Expect::AnyError"
            elif flag == "differs":
                expect = "Expect::Differs"
            elif ok:
                expect = f"Expect::Text({rust_str(result)})"
            else:
                expect = f"Expect::Error({rust_str(result)})"
            lines.append(
                f"    Case {{ source: {rust_str(source)}, ir: {rust_str(ir)}, expect: {expect} }},"
            )
        lines.append("];")
        lines.append("")
    lines.append("pub(super) const EXPRESSIONS: &[Case] = &[")
    for source in EXPRESSIONS:
        ir = json.dumps(lower_expression(source))
        ok, result = evaluate(source, dict(VARIABLES))
        assert ok, (source, result)
        expect = f"Expect::Json({rust_str(json.dumps(result))})"
        lines.append(
            f"    Case {{ source: {rust_str(source)}, ir: {rust_str(ir)}, expect: {expect} }},"
        )
    lines.append("];")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fuzz"]:
        fuzz(int(sys.argv[2]), sys.argv[3])
    else:
        main()
