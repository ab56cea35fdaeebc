"""The rules of ServiceCircle, one package per domain: accounts, checkin, stations, study, notify.

Each domain's __init__.py says what it owns and lists its public names; domains call each other
through those names only. errors.py and csvio.py are the small pieces several domains share.
"""
