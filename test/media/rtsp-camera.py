#!/usr/bin/python3
"""Simulated IP camera for tests: GStreamer's RTSP server on 127.0.0.1.

Prints one JSON line per event on stdout:
  {"event":"ready","port":N,"mount":"/cam"}
  {"event":"client","count":N,"active":M}     (client-connected signal; count = total so far)
  {"event":"client-closed","count":N,"active":M}
  {"event":"error","message":"..."}           (then exits non-zero)
Exits on SIGTERM/SIGINT, or when stdin reaches EOF (the parent went away).

With --credentials-stdin the first stdin line is {"username":...,"password":...,"auth":"basic"|"digest"}:
credentials never sit in this process's argv, where a test sweeping the process table would find them.
"""
import argparse
import json
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

NAMED = {
    "red": 0xFF0000, "green": 0x00FF00, "blue": 0x0000FF, "black": 0x000000,
    "white": 0xFFFFFF, "gray": 0x808080, "grey": 0x808080, "yellow": 0xFFFF00,
    "cyan": 0x00FFFF, "magenta": 0xFF00FF,
}
# videotestsrc patterns accepted as-is (besides solid colours).
PATTERNS = {"ball", "smpte", "snow", "checkers-8", "circular", "gamut", "pinwheel", "spokes", "bar"}


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def source(pattern):
    p = pattern.strip().lower()
    if p in PATTERNS:
        return f"videotestsrc is-live=true pattern={p}"
    if p in NAMED:
        rgb = NAMED[p]
    elif p.startswith("#") and len(p) == 7:
        rgb = int(p[1:], 16)
    elif p.startswith("0x") and len(p) == 8:
        rgb = int(p[2:], 16)
    else:
        raise ValueError(f"unknown pattern {pattern!r}")
    return f"videotestsrc is-live=true pattern=solid-color foreground-color={0xFF000000 | rgb}"


def launch_line(a):
    caps = f"video/x-raw,width={a.width},height={a.height},framerate={a.fps}/1"
    gop = max(1, a.gop if a.gop > 0 else a.fps)
    if a.codec == "h264":
        enc = (f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate={a.bitrate} "
               f"! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1")
    elif a.codec == "h265":
        enc = (f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate={a.bitrate} "
               f"! rtph265pay name=pay0 pt=96 config-interval=1")
    else:
        raise ValueError(f"unknown codec {a.codec!r}")
    return f"( {source(a.pattern)} ! {caps} ! videoconvert ! video/x-raw,format=I420 ! {enc}{audio_branch(a.audio)} )"


def audio_branch(audio):
    """A second stream (pay1) beside the video: a test tone as AAC (RFC 3640) or Opus, as cameras send."""
    if audio == "none":
        return ""
    tone = "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample"
    if audio == "aac":
        # voaacenc is the AAC encoder Debian's GStreamer plugins have (no avenc_aac, fdkaacenc or faac).
        return f" {tone} ! audio/x-raw,rate=48000,channels=1 ! voaacenc bitrate=64000 ! rtpmp4gpay name=pay1 pt=97"
    if audio == "opus":
        return f" {tone} ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay name=pay1 pt=98"
    raise ValueError(f"unknown audio {audio!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mount", default="/cam")
    ap.add_argument("--codec", default="h264", choices=["h264", "h265"])
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--gop", type=int, default=0, help="keyframe interval in frames (default: fps)")
    ap.add_argument("--bitrate", type=int, default=1000, help="kbit/s")
    ap.add_argument("--pattern", default="ball")
    ap.add_argument("--audio", default="none", choices=["none", "aac", "opus"])
    ap.add_argument("--credentials-stdin", action="store_true")
    a = ap.parse_args()
    cred = json.loads(sys.stdin.readline()) if a.credentials_stdin else None

    Gst.init(None)
    try:
        line = launch_line(a)
    except ValueError as e:
        emit({"event": "error", "message": str(e)})
        return 2

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(line)
    factory.set_shared(True)

    if cred is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        # One method: GstRTSPAuthMethod is an enum to PyGObject, so BASIC|DIGEST cannot be passed.
        if cred["auth"] == "digest":
            auth.add_digest(cred["username"], cred["password"], token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(cred["username"], cred["password"]), token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        server.set_auth(auth)
        perms = Gst.Structure.new_from_string(
            "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
        factory.add_role_from_structure(perms)

    server.get_mount_points().add_factory(a.mount, factory)

    loop = GLib.MainLoop()
    state = {"count": 0, "active": 0}

    def on_closed(_client):
        state["active"] -= 1
        emit({"event": "client-closed", "count": state["count"], "active": state["active"]})

    def on_client(_server, client):
        state["count"] += 1
        state["active"] += 1
        client.connect("closed", on_closed)
        emit({"event": "client", "count": state["count"], "active": state["active"]})

    server.connect("client-connected", on_client)

    if server.attach(None) == 0:
        emit({"event": "error", "message": f"cannot bind 127.0.0.1:{a.port}"})
        return 3

    def quit_(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, quit_)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, quit_)

    def on_stdin(fd, cond):
        if cond & (GLib.IOCondition.HUP | GLib.IOCondition.ERR):
            loop.quit()
            return False
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            loop.quit()
            return False
        return True

    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT,
                      GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, on_stdin)

    emit({"event": "ready", "port": server.get_bound_port(), "mount": a.mount})
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
