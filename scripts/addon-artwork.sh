#!/usr/bin/env bash
# Draws the add-on store artwork with FFmpeg (no copied artwork): icon.png (128x128) and
# logo.png (250x100) at the repository root, where Supervisor looks for them.
# Shapes are drawn at 4x with geq and scaled down with lanczos, which gives smooth edges.
# Needs ffmpeg and the DejaVu fonts (both in scripts/setup.sh). Run again after changing a colour.
set -euo pipefail
cd "$(dirname "$0")/.."

font_bold=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

# The glyph on a 512x512 canvas (coordinates are in 1/4 px of the 128 px icon: x=X/4, y=Y/4).
# Rounded-square tile with a teal-to-blue gradient; a white video camera (rounded body + lens ring
# + viewfinder wedge) and a red "live" dot.
x='(X/4)'; y='(Y/4)'
tile="lte(hypot(max(abs($x-64)-40,0),max(abs($y-64)-40,0)),24)"
body="lte(hypot(max(abs($x-54)-22,0),max(abs($y-66)-12,0)),8)"
lens_r="hypot($x-54,$y-66)"
lens_ring="(gte($lens_r,6)*lte($lens_r,12))"
wedge="(gte($x,86)*lte($x,106)*lte(abs($y-66),5+($x-86)*0.55))"
live="lte(hypot($x-34,$y-44),5)"
t="(($x+$y)/256)"
bg_r="(15+($t)*(30-15))"; bg_g="(118+($t)*(64-118))"; bg_b="(110+($t)*(175-110))"
white="(($body*(1-$lens_ring))+$wedge)"
glyph_expr() { # $1: background channel, $2: white level, $3: live-dot channel
  echo "if($live,$3,if(gt($white,0),$2,$1))*$tile"
}
geq="geq=r='$(glyph_expr "$bg_r" 255 239)':g='$(glyph_expr "$bg_g" 255 68)':b='$(glyph_expr "$bg_b" 255 68)':a='255*$tile'"

ffmpeg -v error -y -f lavfi -i "color=c=black@0:s=512x512,format=rgba" -frames:v 1 \
  -vf "$geq,scale=128:128:flags=lanczos" icon.png

# Logo: the glyph at 84x84 on the left, the name on two lines in colours readable on light and
# dark themes.
ffmpeg -v error -y -f lavfi -i "color=c=black@0:s=512x512,format=rgba" \
  -f lavfi -i "color=c=black@0:s=250x100,format=rgba" -filter_complex \
  "[0:v]$geq,scale=84:84:flags=lanczos[g];[1:v][g]overlay=x=4:y=8:format=auto,\
drawtext=fontfile=$font_bold:text=Toposync:fontsize=25:fontcolor=0x0d9488:x=95:y=24,\
drawtext=fontfile=$font:text=Streaming:fontsize=23:fontcolor=0x3b82f6:x=96:y=55" \
  -frames:v 1 logo.png

echo "wrote icon.png and logo.png"
