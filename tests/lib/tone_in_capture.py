#!/usr/bin/env python3
"""Whether a tone can be heard in the G.711 RTP of a packet capture.

    tone_in_capture.py CAPTURE.pcapng HZ

Reads every UDP datagram of the capture (tshark's udp.payload) and takes those with an
RTP header (RFC 3550 5.1: version 2) of payload type 0 (PCMU) or 8 (PCMA), whatever
port or dissector tshark would give them (SRTP's header is RTP's), decodes each SSRC's
payloads as G.711, and measures the share of the signal's power at HZ (Goertzel, on
1 s blocks).
Plain RTP carrying a tone of HZ puts most of its power there; SRTP's ciphertext decodes
to noise, a share near 1/N. Prints one line per stream; exits 0 when some stream of at
least 1 s has the tone (a share of 0.5 or more), 1 when none has, 2 on a usage error or
when the capture holds no G.711 stream at all.
"""
import math
import subprocess
import sys


def ulaw(byte):
    byte = ~byte & 0xFF
    sign = byte & 0x80
    exponent = (byte >> 4) & 0x07
    mantissa = byte & 0x0F
    sample = ((mantissa << 3) + 0x84) << exponent
    sample -= 0x84
    return -sample if sign else sample


def alaw(byte):
    byte ^= 0x55
    sign = byte & 0x80
    exponent = (byte >> 4) & 0x07
    mantissa = byte & 0x0F
    sample = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return sample if sign else -sample


def rtp_payload(datagram):
    """(SSRC, payload type, payload) of a G.711 RTP packet, else None (RFC 3550 5.1)."""
    if len(datagram) < 12 or datagram[0] >> 6 != 2:
        return None
    pt = datagram[1] & 0x7F
    if pt not in (0, 8):
        return None
    start = 12 + 4 * (datagram[0] & 0x0F)
    if datagram[0] & 0x10:  # a header extension: its length in 32-bit words
        if len(datagram) < start + 4:
            return None
        start += 4 + 4 * int.from_bytes(datagram[start + 2:start + 4], "big")
    end = len(datagram)
    if datagram[0] & 0x20 and end > start:  # padding: its count in the last octet
        end -= datagram[-1]
    if end <= start:
        return None
    return int.from_bytes(datagram[8:12], "big"), pt, datagram[start:end]


def tone_share(samples, hz, rate=8000):
    """The mean over 1 s blocks of the power at `hz` over the block's total power."""
    shares = []
    for start in range(0, len(samples) - rate + 1, rate):
        block = samples[start:start + rate]
        coefficient = 2 * math.cos(2 * math.pi * hz / rate)
        s1 = s2 = 0.0
        for x in block:
            s1, s2 = x + coefficient * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - coefficient * s1 * s2  # |X(hz)|^2
        total = sum(x * x for x in block)
        # A pure tone of amplitude A over N samples: |X|^2 = (A N / 2)^2, total = A^2 N / 2.
        shares.append(2 * power / (len(block) * total) if total > 0 else 0.0)
    return sum(shares) / len(shares) if shares else 0.0


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    capture, hz = sys.argv[1], float(sys.argv[2])
    fields = subprocess.run(
        ["tshark", "-r", capture, "-Y", "udp", "-T", "fields", "-e", "udp.payload"],
        capture_output=True, text=True, check=False).stdout
    streams = {}
    for line in fields.splitlines():
        datagram = bytes.fromhex(line.strip().replace(":", ""))
        payload = rtp_payload(datagram)
        if payload is None:
            continue
        ssrc, pt, data = payload
        decode = ulaw if pt == 0 else alaw
        streams.setdefault((f"0x{ssrc:08x}", str(pt)), []).extend(decode(b) for b in data)
    if not streams:
        print("no G.711 RTP in the capture")
        return 2
    heard = False
    for (ssrc, pt), samples in sorted(streams.items()):
        share = tone_share(samples, hz)
        seconds = len(samples) / 8000
        print(f"ssrc {ssrc} pt {pt}: {seconds:.1f} s, {share:.3f} of the power at {hz:g} Hz")
        heard = heard or (seconds >= 1 and share >= 0.5)
    return 0 if heard else 1


if __name__ == "__main__":
    sys.exit(main())
