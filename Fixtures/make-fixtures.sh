#!/usr/bin/env bash
# Regenerates the test media in Fixtures/ (committed; about 0.4 MB in all). Needs ffmpeg, sox,
# espeak-ng and python3 (standard library) (scripts/install-deps.sh installs them). Deterministic for a given tool version:
# bit-exact encoder flags, no metadata.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
FF=(ffmpeg -nostdin -y -hide_banner -loglevel error)
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# speech.wav: 16 kHz mono s16 speech, about 3 s.
espeak-ng -v en-us -s 150 -w "$tmp/speech.wav" "Well, I am not sure. Maybe we could try it, but I really do not know."
sox "$tmp/speech.wav" -r 16000 -c 1 -b 16 speech.wav

# speech.srt: the transcript of speech.wav (the text given to espeak-ng), as a sidecar for av-affect.
cat > speech.srt <<'SRT'
1
00:00:00,000 --> 00:00:01,600
Well, I am not sure.

2
00:00:01,700 --> 00:00:04,200
Maybe we could try it, but I really do not know.
SRT

# clip.mp4: 3 s, 320x240, 25 fps H.264 (moving test pattern) + AAC 48 kHz mono (the speech).
"${FF[@]}" -f lavfi -i "testsrc2=size=320x240:rate=25" -i speech.wav -t 3 \
  -c:v libx264 -preset medium -crf 28 -g 50 -pix_fmt yuv420p -c:a aac -b:a 64k -ar 48000 -ac 1 \
  "${BITEXACT[@]}" clip.mp4

# face.mp4: 3 s of a real talking face, 240x240, 25 fps H.264 + AAC 16 kHz mono: the first 3 s of
# ../shared/data/video/lp_d20.mp4 (LivePortrait example, MIT licence), scaled down (face ~110 px).
SHARED_VIDEO="${SHARED_VIDEO:-../../shared/data/video}"
"${FF[@]}" -i "$SHARED_VIDEO/lp_d20.mp4" -t 3 -vf scale=240:240 \
  -c:v libx264 -preset medium -crf 26 -g 50 -pix_fmt yuv420p -c:a aac -b:a 48k -ar 16000 -ac 1 \
  "${BITEXACT[@]}" face.mp4

# stereo.flac: 2 s at 16 kHz; left a 440 Hz sine at -6 dBFS peak, right a 1 kHz sine at -12 dBFS peak.
sox -n -r 16000 -c 1 -b 16 "$tmp/left.wav" synth 2 sine 440 vol 0.5011872
sox -n -r 16000 -c 1 -b 16 "$tmp/right.wav" synth 2 sine 1000 vol 0.2511886
sox -M "$tmp/left.wav" "$tmp/right.wav" stereo.flac

# still.png: one 320x240 frame of the test pattern (stills open as one-frame videos).
"${FF[@]}" -f lavfi -i "testsrc2=size=320x240:rate=1" -frames:v 1 "${BITEXACT[@]}" still.png

# eeg.edf: 10 s of 4-channel EDF+ with known sines and annotations (see make-eeg-fixture.py).
python3 make-eeg-fixture.py

# broken/: inputs that must fail with one clear message each.
mkdir -p broken
head -c 20000 clip.mp4 > broken/truncated.mp4      # moov atom (at the end) is cut off
: > broken/empty.wav                               # zero bytes
printf 'This is a text file, not audio.\n' > broken/not-audio.wav
