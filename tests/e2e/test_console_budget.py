"""The staff console's first-load budget (bench/console.py) in the test suite: a count of bytes, in-process.
The other budget, API calls of the customer list's first page, is counted by the browser test's sign-in."""

from __future__ import annotations

from bench import console


def test_the_console_first_load_stays_under_its_budget() -> None:
    figure, compressed = console.measure_weight()
    assert figure.ok, figure
    assert 0 < compressed < figure.value


def test_module_imports_are_followed() -> None:
    source = "import { a } from './ui.js';\nimport {\n  b,\n} from \"./api.js\";\nexport { c } from '../x.js';\n"
    assert console.module_imports(source) == ["./ui.js", "./api.js", "../x.js"]
