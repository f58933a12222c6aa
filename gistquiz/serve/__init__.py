"""``gistquiz serve``: the same app in a browser tab, through textual-serve, safe to leave running.

``commands`` (the CLI, light), ``auth`` (who may talk to the server: tokens, sessions, Host and Origin
checks; pure), ``reaping`` (ending every process an app started), ``server`` (the web server, which needs
the ``web`` extra), ``child`` (the app process a tab talks to).
"""
