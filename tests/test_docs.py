"""The documentation: its code runs, its numbers are right, and it builds.

* Every public module's docstring examples run and print what they show.
* Every page's ``>>>`` examples run and print what they show (the pages are
  tested with Python's doctest, as a reader would paste them; a printed
  number may differ from the page in its last digit, the rounding another CPU
  or BLAS build gives, see ``tests/_printed_numbers.py``).  A
  block marked as needing the real admissions file runs only where that file
  is available, from its folder.
* The worked examples S2, S4 and S5 printed in the mathematics pages equal
  the course's golden numbers, and the command output shown on the getting
  started page is what the command prints.
* ``python -m sphinx -W --keep-going -b html`` builds a copy of ``docs/``
  into a temporary folder with exit status 0, the gallery renders one figure
  per example at least, every public name gets an API page, and the benchmark
  page shows the benchmark figures present at build time (or says there are
  none).
* The built pages load nothing from the network: no script, stylesheet, font
  or image from another address, and every page with formulas loads the
  MathJax copied into the build; where Node.js is at hand, that copy typesets
  every formula of the pages without an error.
"""

import doctest
import importlib
import io
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import textwrap
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import sknn_basic
from sknn_basic import functional

from _printed_numbers import PrintedNumbersChecker, assert_same_lines

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BENCHMARKS = ROOT / "benchmarks"
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# A page's block that needs the course's real file sits between these two
# reStructuredText comments (invisible in the HTML).
REAL_DATA_BEGIN = ".. sknn-real-data: begin"
REAL_DATA_END = ".. sknn-real-data: end"
_REAL_DATA_BLOCK = re.compile(
    re.escape(REAL_DATA_BEGIN) + r"\n(.*?)\n" + re.escape(REAL_DATA_END), re.S
)

# Folders of docs/ that hold generated or non-page files.
_NOT_PAGES = {"_build", "_templates", "_static", "auto_examples", "gen_modules", "examples"}


def _pages():
    pages = []
    for path in sorted(DOCS.rglob("*.rst")):
        relative = path.relative_to(DOCS)
        if _NOT_PAGES.isdisjoint(relative.parts[:-1]) and relative.name != "sg_execution_times.rst":
            pages.append(relative)
    return pages


def _public_modules():
    names = ["sknn_basic"]
    for module in pkgutil.iter_modules(sknn_basic.__path__):
        if not module.name.startswith("_"):
            names.append(f"sknn_basic.{module.name}")
    return names


def _run_doctest(test):
    """Run one DocTest; return (failures, attempted, report, escaped warnings)."""
    report = io.StringIO()
    runner = doctest.DocTestRunner(checker=PrintedNumbersChecker(), optionflags=OPTIONS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner.run(test, out=report.write)
    escaped = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if issubclass(w.category, (ConvergenceWarning, RuntimeWarning))
    ]
    return runner.failures, runner.tries, report.getvalue(), escaped


def _split_real_data(text):
    """The page without its real-data blocks (line numbers kept), and those blocks."""
    blocks = _REAL_DATA_BLOCK.findall(text)
    general = _REAL_DATA_BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return general, blocks


def _page_doctest(text, name):
    return doctest.DocTestParser().get_doctest(text, {}, name, str(DOCS / name), 0)


# ---------------------------------------------------------------- docstrings


# Modules whose docstrings must keep at least one runnable example.
_MODULES_WITH_EXAMPLES = {
    "sknn_basic.functional",
    "sknn_basic.perceptron",
    "sknn_basic.sigmoid_gd",
    "sknn_basic.backprop",
    "sknn_basic.datasets",
    "sknn_basic.preprocessing",
}


def test_public_modules_are_found():
    assert _MODULES_WITH_EXAMPLES <= set(_public_modules())


@pytest.mark.parametrize("module_name", _public_modules())
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    tests = doctest.DocTestFinder().find(module, module_name)
    failures = attempted = 0
    reports = []
    for test in tests:
        failed, tried, report, _ = _run_doctest(test)
        failures += failed
        attempted += tried
        reports.append(report)
    assert failures == 0, "".join(reports)
    if module_name in _MODULES_WITH_EXAMPLES:
        assert attempted > 0, f"{module_name} has no docstring example left"


# --------------------------------------------------------------------- pages


def test_pages_are_found():
    pages = {str(p) for p in _pages()}
    for page in ("index.rst", "getting_started.rst", "case_study.rst",
                 "from_the_course.rst", "mathematics/worked_examples.rst"):
        assert page in pages


@pytest.mark.parametrize("page", _pages(), ids=str)
def test_page_examples(page):
    """The ``>>>`` examples of a page print what the page shows, without stray warnings."""
    general, _ = _split_real_data((DOCS / page).read_text())
    failures, attempted, report, escaped = _run_doctest(_page_doctest(general, str(page)))
    assert failures == 0, report
    assert not escaped, (
        f"{page}: examples let these warnings reach the reader: {escaped}; catch them "
        "on the page or change the example"
    )


def _sections(text):
    """(title, body) of each section under an ``===`` underline (the page title has an overline)."""
    lines = text.splitlines()
    heads = [
        i for i in range(len(lines) - 1)
        if lines[i].strip() and set(lines[i + 1]) == {"="} and len(lines[i + 1]) >= len(lines[i])
        and not (i > 0 and set(lines[i - 1]) == {"="})
    ]
    return [
        (lines[h], "\n".join(lines[h + 2:(heads[k + 1] if k + 1 < len(heads) else len(lines))]))
        for k, h in enumerate(heads)
    ]


def test_mathematics_pages_end_every_section_with_code():
    """Each section of the mathematics pages closes with example code and its output."""
    for page in sorted((DOCS / "mathematics").glob("*.rst")):
        sections = _sections(page.read_text())
        assert sections, page.name
        for title, body in sections:
            last_paragraph = body.strip().split("\n\n")[-1]
            assert last_paragraph.lstrip().startswith(">>>"), (
                f"{page.name}: section {title!r} does not end with a >>> example"
            )


def test_real_data_blocks(admissions_path, monkeypatch):
    """The case study's run on the real file prints the course's figures."""
    blocks = []
    for page in _pages():
        for block in _split_real_data((DOCS / page).read_text())[1]:
            blocks.append((page, block))
    assert blocks, "no real-data block found in the pages"
    monkeypatch.chdir(admissions_path.parent)
    assert admissions_path.name == "binary.csv"
    for page, block in blocks:
        failures, attempted, report, _ = _run_doctest(_page_doctest(block, f"{page} (real data)"))
        assert failures == 0, report
        assert attempted > 0


def test_worked_examples_print_the_course_numbers(reference):
    """S2, S4 and S5 as printed (12 decimals) on the worked-examples page equal the reference."""
    text = (DOCS / "mathematics" / "worked_examples.rst").read_text()
    outputs = {
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith((">>>", "..."))
    }

    def printed(value):
        return str(np.round(np.asarray(value, dtype=float), 12).tolist())

    s2, s4, s5 = (reference[k] for k in
                  ("S2_single_unit_step", "S4_forward_pass", "S5_backprop_step"))
    expected = [
        f"{printed(s2['output'])} {printed(s2['error'])}",
        printed(s2["delta_weights"]),
        printed(s4["hidden_output"]),
        printed(s4["output"]),
        printed(s5["output"]),
        printed(s5["delta_weights_hidden_output"]),
        printed(s5["delta_weights_input_hidden"]),
    ]
    missing = [line for line in expected if line not in outputs]
    assert not missing, f"reference figures not printed on the page: {missing}"


def test_getting_started_shows_the_real_command_output():
    """The output block of ``sknn-basic train backprop`` is what the command prints."""
    text = (DOCS / "getting_started.rst").read_text()
    match = re.search(r":name: train-backprop-output\n\n((?:   .*\n)+)", text)
    assert match, "the train-backprop-output block is missing"
    shown = [line[3:] for line in match.group(1).splitlines()]
    result = subprocess.run(
        [sys.executable, "-m", "sknn_basic", "train", "backprop"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert_same_lines(result.stdout.splitlines(), shown)


def test_getting_started_shows_the_real_gates_output():
    """The output block of ``sknn-basic gates`` (blank lines included) is what it prints."""
    text = (DOCS / "getting_started.rst").read_text()
    match = re.search(r":name: gates-output\n\n((?:(?:   .*)?\n)+?)(?=\S)", text)
    assert match, "the gates-output block is missing"
    shown = [line[3:] for line in match.group(1).rstrip("\n").split("\n")]
    result = subprocess.run(
        [sys.executable, "-m", "sknn_basic", "gates"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert_same_lines(result.stdout.rstrip("\n").split("\n"), shown)
    assert "NOT learnt" in match.group(1) and max(map(len, shown)) <= 100


def test_larger_than_memory_examples_run_as_pasted(dask_client, monkeypatch, capsys):
    """The page's examples, run in order in one session, on the session's cluster.

    The page starts its own ``LocalCluster``; here ``LocalCluster`` and
    ``Client`` hand back the session's (tests never start another cluster),
    and everything else runs as written, at the page's sizes.
    """
    import distributed

    text = (DOCS / "user_guide" / "larger_than_memory.rst").read_text()
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text)
    assert len(blocks) >= 4
    code = "\n".join(textwrap.dedent(block) for block in blocks)
    # A local cluster in the code, the real cluster's address only in a comment.
    assert "LocalCluster(" in blocks[0]
    assert all("scheduler-address" not in line.split("#")[0] for line in code.splitlines())
    assert "scheduler-address:8786" in code
    monkeypatch.setattr(distributed, "LocalCluster", lambda *args, **kwargs: dask_client.cluster)

    class SessionClient(distributed.Client):
        # Client(...) is the session's client (an instance of the parent
        # class, so __init__ does not run again); Client.current and the
        # other class attributes stay those of distributed.
        def __new__(cls, *args, **kwargs):
            return dask_client

    monkeypatch.setattr(distributed, "Client", SessionClient)
    namespace = {"__name__": "__main__"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(code, "larger_than_memory.rst", "exec"), namespace)
    escaped = [f"{w.category.__name__}: {w.message}" for w in caught
               if issubclass(w.category, (ConvergenceWarning, RuntimeWarning))]
    assert not escaped, escaped
    import dask.array as da

    assert namespace["X"].shape == (100_000, 10)
    assert isinstance(namespace["labels"], da.Array)
    # The printed score: well above the 0.5 of a constant answer (the data are
    # drawn afresh on every run, without a seed, as pasted).
    assert float(capsys.readouterr().out.split()[0]) > 0.75
    assert namespace["post"].predict(namespace["X"]).shape == (100_000,)
    assert set(namespace["search"].best_params_) == {"learning_rate"}


# --------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    """Build a copy of docs/ with warnings as errors; return (html folder, PNGs seen)."""
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme",
                   "sphinx-mathjax-offline", "matplotlib"):
        pytest.importorskip(module, reason=f"{module} is needed to build the docs (extra 'docs')")
    work = tmp_path_factory.mktemp("docs_build")
    source = work / "docs"
    shutil.copytree(
        DOCS, source,
        ignore=shutil.ignore_patterns("_build", "auto_examples", "gen_modules",
                                      "sg_execution_times.rst", "__pycache__"),
    )
    html = work / "html"
    pngs_before = sorted(p.name for p in BENCHMARKS.glob("*.png"))
    env = dict(os.environ, MPLBACKEND="agg")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
         str(source), str(html)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=900,
    )
    pngs_after = sorted(p.name for p in BENCHMARKS.glob("*.png"))
    return result, html, pngs_before, pngs_after


def test_docs_build_without_warnings(built_docs):
    result, html, _, _ = built_docs
    assert result.returncode == 0, (
        f"sphinx exited with {result.returncode}\n--- stderr ---\n{result.stderr[-6000:]}"
        f"\n--- stdout (end) ---\n{result.stdout[-3000:]}"
    )


_KEY_PAGES = [
    "index.html",
    "getting_started.html",
    "mathematics/index.html",
    "mathematics/perceptron.html",
    "mathematics/sigmoid_and_error.html",
    "mathematics/gradient_descent.html",
    "mathematics/backpropagation.html",
    "mathematics/shapes.html",
    "mathematics/worked_examples.html",
    "case_study.html",
    "user_guide/index.html",
    "user_guide/perceptron.html",
    "user_guide/sigmoid_gd.html",
    "user_guide/backprop.html",
    "user_guide/data.html",
    "from_the_course.html",
    "api.html",
    "auto_examples/index.html",
]


@pytest.mark.parametrize("page", _KEY_PAGES)
def test_key_page_exists(built_docs, page):
    result, html, _, _ = built_docs
    assert (html / page).is_file()


def test_estimators_html_representation_links_their_api_page(built_docs, monkeypatch):
    # As scikit-learn's estimators do in notebooks: the diagram links the
    # class to its page, here pointed at this very build.
    result, html, _, _ = built_docs
    monkeypatch.setenv("SKNN_BASIC_DOCS_URL", html.as_uri())
    from sklearn.base import BaseEstimator

    estimators = [getattr(sknn_basic, n) for n in sknn_basic.__all__ if n != "functional"]
    estimators = [E for E in estimators if isinstance(E, type) and issubclass(E, BaseEstimator)]
    assert len(estimators) >= 5
    for Est in estimators:
        link = Est()._get_doc_link()
        assert link.startswith(html.as_uri())
        assert f'href="{link}"' in Est()._repr_html_()
        page = html / link[len(html.as_uri()):].lstrip("/")
        assert page.is_file(), f"{Est.__name__} links to a page the build does not have: {page}"
        assert Est.__name__ in page.read_text(encoding="utf-8")


def test_every_public_name_has_an_api_page(built_docs):
    result, html, _, _ = built_docs
    names = [f"sknn_basic.{n}" for n in sknn_basic.__all__ if n != "functional"]
    names += [f"sknn_basic.functional.{n}" for n in functional.__all__]
    missing = [n for n in names if not (html / "gen_modules" / f"{n}.html").is_file()]
    assert not missing, f"public names without an API page (add them to docs/api.rst): {missing}"


def test_gallery_rendered_its_figures(built_docs):
    result, html, _, _ = built_docs
    examples = sorted(p.stem for p in (DOCS / "examples").glob("plot_*.py"))
    assert len(examples) >= 5
    for stem in examples:
        assert (html / "auto_examples" / f"{stem}.html").is_file(), stem
        assert (html / "_images" / f"sphx_glr_{stem}_001.png").is_file(), (
            f"{stem} rendered no figure"
        )


def test_benchmark_page_shows_what_exists(built_docs):
    result, html, pngs_before, pngs_after = built_docs
    page = (html / "auto_examples" / "plot_benchmarks.html").read_text()
    shown = sorted((html / "_images").glob("sphx_glr_plot_benchmarks_[0-9]*.png"))
    if pngs_after:
        # Files that appeared during the build may or may not have been seen.
        assert len(pngs_before) <= len(shown) <= len(pngs_after)
        for name in pngs_before:
            assert name in page, f"benchmarks/{name} is not shown"
    else:
        assert len(shown) == 1, "the page should show its 'no figures yet' notice"
        assert "figures: 0 (none)" in page
    # The page prints its findings; the source it also shows holds both wordings.
    if (BENCHMARKS / "results.md").is_file():
        assert "report: found" in page and "report: MISSING" not in page
        assert "# Benchmarks: sknn-basic against scikit-learn" in page
    else:
        assert "report: MISSING" in page


# ------------------------------------------------------------ offline pages
#
# Learners read the pages where they have no network.  Sphinx's default
# MathJax comes from a CDN; conf.py loads sphinx-mathjax-offline, which copies
# MathJax into _static/mathjax/ and points the pages at that copy.

# An address that leaves the build: http(s)://..., //host/... (protocol
# relative) or any other scheme://.  data: URIs and relative paths stay.
_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
# Inline code that names an address to load from.
_INLINE_ADDRESS = re.compile(
    r"""https?://[^\s'"`)<>]+|url\(\s*['"]?//[^)]*\)|@import\s+['"]//[^'"]*['"]""", re.I
)
# <link rel=...> values that make the browser fetch the target (rel="next",
# "search", "canonical"... are only links).
_LOADING_RELS = {
    "stylesheet", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch",
    "prerender", "icon", "apple-touch-icon", "manifest",
}
_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}
_CSS_ADDRESS = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.S)
# The MathJax builds that read TeX (the formulas are written in TeX).
_LOCAL_MATHJAX = re.compile(r"^_static/mathjax/tex-[\w-]+\.js$")


class _BuiltPage(HTMLParser):
    r"""What one built page loads, and the TeX of its formulas.

    ``loads`` holds ``(tag, attribute, address)`` of every resource the
    browser fetches for the page; ``inline`` the bodies of inline scripts and
    styles and the ``style`` attributes; ``formulas`` the text of each element
    Sphinx marks as maths (``\(...\)`` inline, ``\[...\]`` displayed), without
    the equation number.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads, self.inline, self.formulas = [], [], []
        self._inline_text = None
        self._math_depth = 0
        self._math_text = []

    def handle_starttag(self, tag, attrs):
        self._resources(tag, dict(attrs))
        if tag in _VOID_TAGS:
            return
        if self._math_depth:
            self._math_depth += 1
        elif tag in ("span", "div") and "math" in (dict(attrs).get("class") or "").split():
            self._math_depth, self._math_text = 1, []
        if tag in ("script", "style"):
            self._inline_text = []

    def handle_startendtag(self, tag, attrs):
        # <tag ... /> opens and closes nothing that holds text.
        self._resources(tag, dict(attrs))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._inline_text is not None:
            self.inline.append("".join(self._inline_text))
            self._inline_text = None
        if self._math_depth and tag not in _VOID_TAGS:
            self._math_depth -= 1
            if not self._math_depth:
                self.formulas.append("".join(self._math_text).strip())

    def handle_data(self, data):
        if self._inline_text is not None:
            self._inline_text.append(data)
        # Text nested deeper is the equation number and its permalink.
        if self._math_depth == 1:
            self._math_text.append(data)

    def _resources(self, tag, attrs):
        for name in ("src", "poster"):
            if attrs.get(name):
                self.loads.append((tag, name, attrs[name]))
        for candidate in (attrs.get("srcset") or "").split(","):
            if candidate.strip():
                self.loads.append((tag, "srcset", candidate.split()[0]))
        if tag == "object" and attrs.get("data"):
            self.loads.append((tag, "data", attrs["data"]))
        rels = set((attrs.get("rel") or "").lower().split())
        if tag == "link" and rels & _LOADING_RELS and attrs.get("href"):
            self.loads.append((tag, "href", attrs["href"]))
        if attrs.get("style"):
            self.inline.append(attrs["style"])


@pytest.fixture(scope="module")
def built_pages(built_docs):
    """Every built HTML page, parsed: {path relative to the html folder: _BuiltPage}."""
    result, html, _, _ = built_docs
    if result.returncode != 0:
        pytest.fail("the docs did not build; see test_docs_build_without_warnings")
    pages = {}
    for path in sorted(html.rglob("*.html")):
        parser = _BuiltPage()
        parser.feed(path.read_text(encoding="utf-8"))
        parser.close()
        pages[path.relative_to(html).as_posix()] = parser
    return pages


def test_pages_load_nothing_from_the_network(built_pages):
    assert set(_KEY_PAGES) <= set(built_pages)
    assert any(parsed.loads for parsed in built_pages.values()), "no resource found: parser broken?"
    external = []
    for page, parsed in built_pages.items():
        external += [
            f"{page}: <{tag} {attribute}={address!r}>"
            for tag, attribute, address in parsed.loads
            if _EXTERNAL.match(address)
        ]
        for code in parsed.inline:
            external += [f"{page}: inline code loads {m!r}" for m in _INLINE_ADDRESS.findall(code)]
    assert not external, (
        "pages load from the network (they must work offline: ship the file in the "
        "build instead):\n" + "\n".join(external)
    )


def test_stylesheets_load_nothing_from_the_network(built_docs):
    """No stylesheet of the build imports CSS or fonts from another address."""
    result, html, _, _ = built_docs
    sheets = sorted(html.rglob("*.css"))
    assert sheets, "the build has no stylesheet"
    external = []
    for sheet in sheets:
        for match in _CSS_ADDRESS.finditer(sheet.read_text(encoding="utf-8", errors="replace")):
            address = match.group(2) if match.group(2) is not None else match.group(4)
            if _EXTERNAL.match(address):
                external.append(f"{sheet.relative_to(html)}: {address}")
    assert not external, "stylesheets load from the network:\n" + "\n".join(external)


def _pages_written_with_maths():
    """The built page of every source page that writes a formula."""
    return sorted(
        page.with_suffix(".html").as_posix()
        for page in _pages()
        if re.search(r":math:`|^\s*\.\. math::", (DOCS / page).read_text(), re.M)
    )


def test_formula_pages_carry_their_own_mathjax(built_docs, built_pages):
    result, html, _, _ = built_docs
    with_maths = {page for page, parsed in built_pages.items() if parsed.formulas}
    written = _pages_written_with_maths()
    assert "mathematics/backpropagation.html" in written
    missing = sorted(set(written) - with_maths)
    assert not missing, f"pages whose formulas did not reach the HTML: {missing}"

    problems = []
    for page in sorted(with_maths):
        parsed = built_pages[page]
        renderers = []
        for tag, attribute, address in parsed.loads:
            if tag != "script" or _EXTERNAL.match(address):
                continue
            target = Path(os.path.normpath(
                (html / page).parent / address.split("?")[0].split("#")[0]
            ))
            if not target.is_relative_to(html):
                continue
            local = target.relative_to(html).as_posix()
            if _LOCAL_MATHJAX.match(local) and target.is_file():
                renderers.append(local)
        if not renderers:
            problems.append(f"{page}: has formulas but loads no MathJax from _static/mathjax/")
        # MathJax's TeX input finds the formulas by these delimiters.
        for tex in parsed.formulas:
            if not (tex.startswith("\\(") and tex.endswith("\\)")
                    or tex.startswith("\\[") and tex.endswith("\\]")):
                problems.append(f"{page}: formula without MathJax delimiters: {tex[:80]!r}")
        for renderer in renderers:
            # The CommonHTML output draws the formulas with MathJax's own fonts.
            if "chtml" in renderer:
                fonts = html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
                if not list(fonts.glob("*.woff")):
                    problems.append(f"{renderer}: its fonts are not in {fonts.relative_to(html)}")
    assert not problems, "\n".join(problems)


# Runs the build's own MathJax under Node.js on each page (paths as JSON on
# stdin), as a browser would: it finds the formulas by their delimiters and
# typesets them.  Prints, per page, how many formulas it typeset and the TeX
# errors; undefined macros count as errors (MathJax otherwise shows them as
# red text).
_TYPESET_JS = r"""
const fs = require('fs');
const path = require('path');
const pages = JSON.parse(fs.readFileSync(0, 'utf8'));
require(path.join(process.env.MATHJAX_DIR, 'node-main.js')).init({
  loader: {load: ['input/tex', 'output/chtml']},
  tex: {packages: {'[-]': ['noundefined']}},
}).then(async (MathJax) => {
  const {mathjax} = MathJax._.mathjax;
  const adaptor = MathJax.startup.adaptor;
  const report = {};
  for (const page of pages) {
    const doc = mathjax.document(fs.readFileSync(page, 'utf8'), {
      InputJax: MathJax.startup.input, OutputJax: MathJax.startup.output,
    });
    // Retries let MathJax load the TeX extensions a formula asks for.
    await mathjax.handleRetriesFor(() => doc.render());
    const html = adaptor.outerHTML(adaptor.root(doc.document));
    report[page] = {
      typeset: (html.match(/<mjx-container/g) || []).length,
      errors: Array.from(html.matchAll(/data-mjx-error="([^"]*)"/g), (m) => m[1]),
    };
  }
  console.log(JSON.stringify(report));
}).catch((err) => { console.error(String(err)); process.exit(1); });
"""


def test_the_shipped_mathjax_typesets_every_formula(built_docs, built_pages):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: cannot run the build's MathJax outside a browser")
    result, html, _, _ = built_docs
    expected = {
        str(html / page): len(parsed.formulas)
        for page, parsed in built_pages.items()
        if parsed.formulas
    }
    assert sum(expected.values()) > 20, "too few formulas found: parser broken?"
    run = subprocess.run(
        [node, "-e", _TYPESET_JS], input=json.dumps(sorted(expected)),
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, MATHJAX_DIR=str(html / "_static" / "mathjax")),
    )
    assert run.returncode == 0, f"MathJax did not start under Node.js:\n{run.stderr[-3000:]}"
    report = json.loads(run.stdout.strip().splitlines()[-1])
    problems = []
    for page, count in sorted(expected.items()):
        name = Path(page).relative_to(html).as_posix()
        if report[page]["typeset"] != count:
            problems.append(f"{name}: MathJax typeset {report[page]['typeset']} of {count} formulas")
        problems += [f"{name}: {message}" for message in report[page]["errors"]]
    assert not problems, "formulas MathJax does not typeset:\n" + "\n".join(problems)
