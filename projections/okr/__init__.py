"""The OKR topic's appliers: the OKR read models and every table the OKR events feed, each
written by its one module."""
