"""Serves a static site on $PORT: Python's http.server, refusing every path with a part that
starts with a dot (.git, .env, .profile.d, .riker, ...). Copied into the app by bin/compile."""
import http.server
import os
import sys
import urllib.parse


class Handler(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if any(part.startswith(".") for part in path.split("/") if part):
            self.send_error(404, "Not Found")
            return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404, "Not Found")
        return None


def main():
    port = int(os.environ.get("PORT", sys.argv[1] if len(sys.argv) > 1 else "5000"))
    directory = sys.argv[2] if len(sys.argv) > 2 else "."
    handler = lambda *a, **kw: Handler(*a, directory=directory, **kw)
    http.server.ThreadingHTTPServer(("0.0.0.0", port), handler).serve_forever()


if __name__ == "__main__":
    main()
