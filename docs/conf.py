"""Sphinx configuration of the sknn-basic documentation.

Build the HTML with warnings as errors from the repository root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The API pages (``gen_modules/``) and the gallery (``auto_examples/``) are
generated during the build and are not kept in git.
"""

import os

import sknn_basic

# -- Project -----------------------------------------------------------------

project = "sknn-basic"
author = "the sknn-basic developers"
copyright = "the sknn-basic developers"
release = sknn_basic.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 shipped with the build (docs extra): the formulas render
    # without a network.  The extension copies MathJax into _static/mathjax/
    # and points mathjax_path there instead of Sphinx's default CDN address.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# examples/ holds the gallery's sources, which sphinx-gallery turns into
# auto_examples/; Sphinx itself reads only the generated pages.
exclude_patterns = ["_build", "examples", "gen_modules/backreferences", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# The API stubs are written at build time into gen_modules/ (git-ignored).
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"


# -- Which methods a class page documents -------------------------------------
#
# A class page documents in full every public method whose code lives in
# sknn_basic (fit, partial_fit, predict, ...).  The generic methods every
# scikit-learn estimator inherits (get_params, score, set_output, the
# set_*_request methods of metadata routing) are listed in a table linking to
# scikit-learn's own documentation: their docstrings point at labels of
# scikit-learn's site (its glossary, its user guide) that do not exist here.

SKLEARN_API = "https://scikit-learn.org/stable/modules/generated/"
_SKLEARN_HOME = {
    "get_params": ("sklearn.base.BaseEstimator", "Get the estimator's parameters."),
    "set_params": ("sklearn.base.BaseEstimator", "Set the estimator's parameters."),
    "get_metadata_routing": (
        "sklearn.base.BaseEstimator",
        "Get the metadata routing of the estimator.",
    ),
    "score": ("sklearn.base.ClassifierMixin", "Mean accuracy of ``predict`` on ``(X, y)``."),
    "fit_transform": (
        "sklearn.base.TransformerMixin",
        "``fit`` then ``transform`` the same data.",
    ),
    "set_output": (
        "sklearn.base.TransformerMixin",
        'Choose NumPy or pandas output of ``transform`` (``transform="pandas"``).',
    ),
}


def _sklearn_method_row(name):
    """(name, summary, url) of a method inherited from scikit-learn."""
    if name.startswith("set_") and name.endswith("_request"):
        method = name[len("set_") : -len("_request")]
        return (
            name,
            f"Request metadata passed to ``{method}`` (metadata routing).",
            "https://scikit-learn.org/stable/metadata_routing.html",
        )
    owner, summary = _SKLEARN_HOME.get(
        name, ("sklearn.base.BaseEstimator", "Inherited from scikit-learn.")
    )
    return name, summary, f"{SKLEARN_API}{owner}.html#{owner}.{name}"


def _class_members(cls):
    """Public methods of ``cls``: those written in sknn_basic, those from scikit-learn."""
    own, inherited = [], []
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        member = getattr(cls, name)
        module = getattr(member, "__module__", None) or ""
        if not callable(member):
            continue
        if module.startswith("sknn_basic"):
            own.append(name)
        elif module.startswith("sklearn"):
            inherited.append(_sklearn_method_row(name))
    return {"own": own, "sklearn": inherited}


autosummary_context = {
    "class_members": {
        f"sknn_basic.{name}": _class_members(getattr(sknn_basic, name))
        for name in sknn_basic.__all__
        if isinstance(getattr(sknn_basic, name), type)
        and not issubclass(getattr(sknn_basic, name), Exception)
    },
}

# numpydoc renders Parameters, Attributes, See Also ... sections; the class
# template lists the methods itself, so numpydoc does not add member tables.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Gallery -----------------------------------------------------------------


sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sknn_basic",),
    "within_subsection_order": "FileNameSortKey",
    # An example that raises fails the build (after all examples have run).
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    # Rerun every example on every build: the figures must show the current
    # package, and the benchmark page the benchmark files present right now.
    "run_stale_examples": True,
    "remove_config_comments": True,
    "min_reported_time": 0,
    # sphinx-gallery's page of execution times loads jQuery, DataTables and
    # Bootstrap from CDNs; the pages must load nothing from the network, and
    # the build prints the same times on the console.
    "write_computation_times": False,
}

# The examples run with the non-interactive backend.
os.environ.setdefault("MPLBACKEND", "agg")

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sknn-basic {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": []}
html_show_sourcelink = True
