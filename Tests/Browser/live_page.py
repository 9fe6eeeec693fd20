#!/usr/bin/python3
"""The live page in a real browser: headless Chromium driven by Selenium (Debian's chromium,
chromium-driver and python3-selenium).

Logs in through the form, opens the env page, starts a deploy of REF through the JSON API and
watches the page's instance picture move batch by batch (it is updated by server-sent events),
saves a screenshot mid-deploy, then clicks Rollback and waits for the rollback deploy to finish
with the old version current. Prints one JSON line with what it saw; exits 1 with a one-line
reason when something is not as it should be.

    RIKER_PAGE_TOKEN=… live_page.py --base http://127.0.0.1:PORT --app APP --env ENV --ref REF \
        --rollback-to N --screenshot FILE --pids FILE

The token comes from the environment, never argv. Every browser process started is written to
--pids (so the caller can kill them if this script dies) and killed at the end.
"""
import argparse
import json
import os
import signal
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

SNAPSHOT_JS = """
var d = document.getElementById('deploy'), c = document.getElementById('current');
var insts = Array.prototype.map.call(document.querySelectorAll('#deploy [data-instance]'), function (e) {
  return [parseInt(e.parentNode.dataset.batch, 10), e.dataset.instance, e.dataset.state];
});
return {deploy: d ? d.dataset.deploy : null, release: d ? parseInt(d.dataset.release, 10) : null,
        outcome: d ? d.dataset.outcome : null, current: c ? parseInt(c.dataset.version, 10) : null,
        conn: (document.getElementById('conn') || {}).textContent, instances: insts};
"""


def fail(message):
    raise SystemExit("live_page.py: " + message)


def descendants(pid):
    """Every process below pid (by /proc parent links)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class Browser:
    def __init__(self, pid_file):
        self.pid_file = pid_file
        self.profile = tempfile.mkdtemp(prefix="riker-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--user-data-dir=" + self.profile, "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     # Only loopback: no host name resolves, and the server is reached by IP.
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
            options.add_argument(flag)
        self.service = Service(executable_path="/usr/bin/chromedriver")
        self.pids = set()
        self.driver = None
        try:
            self.driver = webdriver.Chrome(service=self.service, options=options)
        finally:
            self.record_pids()

    def record_pids(self):
        process = getattr(self.service, "process", None)
        if process is not None:
            self.pids.add(process.pid)
            self.pids.update(descendants(process.pid))
        with open(self.pid_file, "w") as f:
            f.write("\n".join(str(p) for p in sorted(self.pids)) + "\n")

    def close(self):
        self.record_pids()
        try:
            if self.driver is not None:
                self.driver.quit()
        finally:
            try:
                self.service.stop()
            except Exception:
                pass
            for pid in sorted(self.pids):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
            alive = [p for p in self.pids if os.path.exists(f"/proc/{p}") and "zombie" not in open(f"/proc/{p}/status").read().lower()]
            if alive:
                print(f"live_page.py: browser processes still alive: {alive}", file=sys.stderr)


def wait(what, predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    fail(f"timed out waiting for {what}")


def start_deploy(base, app, env, ref, token):
    request = urllib.request.Request(f"{base}/api/apps/{app}/{env}/deploy", data=json.dumps({"ref": ref}).encode(),
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        if answer.status != 202:
            fail(f"the API did not accept the deploy: {answer.status}")
        return json.load(answer)


def watch(driver, previous_deploy, timeout, on_snapshot):
    """Records the instance picture of the deploy after previous_deploy each time it changes,
    until that deploy has an outcome; returns (sequence, final snapshot)."""
    sequence, last = [], None
    deadline = time.time() + timeout
    while time.time() < deadline:
        snap = driver.execute_script(SNAPSHOT_JS)
        if snap["deploy"] and snap["deploy"] != previous_deploy:
            picture = [(b, i, s) for b, i, s in snap["instances"]]
            key = (snap["outcome"], tuple(picture))
            if key != last:
                last = key
                sequence.append({"outcome": snap["outcome"], "release": snap["release"], "current": snap["current"],
                                 "instances": picture})
                on_snapshot(snap, picture)
            if snap["outcome"] != "running":
                return sequence, snap
        time.sleep(0.1)
    fail(f"the deploy did not finish on the page within {timeout}s; saw {json.dumps(sequence)[-2000:]}")


def main():
    parser = argparse.ArgumentParser()
    for name in ("base", "app", "env", "ref", "screenshot", "pids"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--rollback-to", type=int, required=True)
    args = parser.parse_args()
    token = os.environ.get("RIKER_PAGE_TOKEN") or fail("RIKER_PAGE_TOKEN is not set")
    env_path = f"/apps/{args.app}/{args.env}"

    browser = Browser(args.pids)
    driver = browser.driver
    try:
        # Not logged in: the page sends the browser to the login form, which brings it back.
        driver.get(args.base + env_path)
        if "/login" not in driver.current_url:
            fail(f"expected the login form, got {driver.current_url}")
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
        wait("the env page after login", lambda: driver.current_url.endswith(env_path) and driver.find_elements(By.ID, "live"), 30)
        wait("the event stream", lambda: driver.find_element(By.ID, "conn").text == "live", 30)
        before = driver.execute_script(SNAPSHOT_JS)

        # The deploy, started through the API; the page shows it as the events come.
        start_deploy(args.base, args.app, args.env, args.ref, token)
        shot = {}

        def mid_deploy(snap, picture):
            states = {s for _, _, s in picture}
            if "screenshot" not in shot and "healthy" in states and "waiting" in states:
                os.makedirs(os.path.dirname(args.screenshot), exist_ok=True)
                driver.save_screenshot(args.screenshot)
                shot["screenshot"] = args.screenshot
                shot["picture"] = picture

        sequence, done = watch(driver, before["deploy"], 300, mid_deploy)
        if done["outcome"] != "succeeded":
            fail(f"the deploy ended {done['outcome']}: {json.dumps(sequence)[-1500:]}")
        if "screenshot" not in shot:
            fail("never saw one batch healthy while another was still waiting: " + json.dumps(sequence))
        deployed = done["release"]
        wait("the deployed release current", lambda: driver.execute_script(SNAPSHOT_JS)["current"] == deployed, 30)

        # Rollback: the button of the old release, then the rollback deploy on the same page.
        button = driver.find_element(By.CSS_SELECTOR, f"button.rollback[data-version='{args.rollback_to}']")
        button.click()
        wait("the env page after the rollback", lambda: driver.current_url.endswith(env_path) and driver.find_elements(By.ID, "live"), 30)
        rollback_sequence, after = watch(driver, done["deploy"], 300, lambda snap, picture: None)
        if after["outcome"] != "succeeded":
            fail(f"the rollback deploy ended {after['outcome']}: {json.dumps(rollback_sequence)[-1500:]}")
        rolled = after["release"]
        wait("the rollback release current", lambda: driver.execute_script(SNAPSHOT_JS)["current"] == rolled, 30)
        top = driver.find_element(By.CSS_SELECTOR, "#releases tr[data-version]").text
        print(json.dumps({"deployed": deployed, "sequence": sequence, "screenshot": shot["screenshot"],
                          "mid_deploy": shot["picture"], "rolled_back_release": rolled, "rollback_sequence": rollback_sequence,
                          "top_release_row": top}))
    except BaseException:
        try:
            driver.save_screenshot(os.path.splitext(args.screenshot)[0] + "-failure.png")
        except Exception:
            pass
        raise
    finally:
        browser.close()


if __name__ == "__main__":
    main()
