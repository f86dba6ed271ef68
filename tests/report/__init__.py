"""Tests of the plan and apply-result renderers (``reconciler.report``)."""
