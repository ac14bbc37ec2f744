"""Serve the lab's Cisco IOS-style switches with fake-switches (one process, many devices).

Runs inside the lab's tools virtualenv (fake-switches + Twisted) and is never imported by netctl.
Devices are started through fake-switches' Python API because its own launcher passes the enable
password as bytes (every ``enable`` is then denied). The SSH host key is the lab's own RSA host
key instead of the key fake-switches ships.

Usage: python ios_launcher.py CONFIG.json
    {"devices": [{"name", "address", "port"}], "model": "cisco_generic", "username", "password",
     "secret", "host_key": PATH}
"""

from __future__ import annotations

import json
import logging
import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from fake_switches import switch_factory  # noqa: E402
from fake_switches.transports import ssh_service  # noqa: E402
from twisted.conch.ssh import factory, keys  # noqa: E402
from twisted.cred import checkers, portal  # noqa: E402
from twisted.internet import reactor  # noqa: E402


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as fh:
        conf = json.load(fh)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    private = keys.Key.fromFile(conf["host_key"])
    factory_ = switch_factory.SwitchFactory()
    for dev in conf["devices"]:
        core = factory_.get(conf.get("model", "cisco_generic"), dev["name"], conf["secret"])
        ssh_factory = factory.SSHFactory()
        ssh_factory.portal = portal.Portal(ssh_service.SSHDemoRealm(core))
        ssh_factory.portal.registerChecker(
            checkers.InMemoryUsernamePasswordDatabaseDontUse(**{conf["username"]: conf["password"].encode()})
        )
        ssh_factory.publicKeys = {b"ssh-rsa": private.public()}
        ssh_factory.privateKeys = {b"ssh-rsa": private}
        reactor.listenTCP(port=int(dev["port"]), factory=ssh_factory, interface=dev["address"])
    print(f"netctl lab: {len(conf['devices'])} IOS-style switches ready", flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
