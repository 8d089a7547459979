"""Myriad's run report: `myriad report RUN_DIR` writes RUN_DIR/report/index.html with PNG figures beside it
(docs/user-guide.md)."""
