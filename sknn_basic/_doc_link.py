"""Each estimator's HTML representation links to its page of the built documentation."""

import os

__all__ = ["DOCS_URL", "DocumentationLink"]

#: Where the built documentation is published; the environment variable
#: ``SKNN_BASIC_DOCS_URL`` points the estimators' links elsewhere (for
#: example ``file:///path/to/docs/_build/html/`` for a local build).
DOCS_URL = "https://sknn-basic.readthedocs.io/en/latest/"


class DocumentationLink:
    """Links each estimator's HTML representation (notebooks) to its API page.

    scikit-learn's own estimators link their diagram to their page; this
    gives ours the same, pointing at ``gen_modules/sknn_basic.<Name>.html``
    of the documentation built from ``docs/``.
    """

    _doc_link_module = "sknn_basic"

    @property
    def _doc_link_template(self):
        base = os.environ.get("SKNN_BASIC_DOCS_URL", DOCS_URL)
        return base.rstrip("/") + "/gen_modules/sknn_basic.{estimator_name}.html"

    def _doc_link_url_param_generator(self):
        return {"estimator_name": type(self).__name__}
