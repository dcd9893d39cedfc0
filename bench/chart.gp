# chart.gp - the PNG of `make bench` (docs/bench.png): four panels of
# clustered bars (full handshakes/s, resumed handshakes/s, bulk MB/s, heap per
# client connection), one bar per implementation, one legend below them all,
# from the data files bench.py writes.
#
# bench.py runs:  gnuplot -e "dir='bench/out'; out='docs/bench.png'; n=8;
#                 colours='#08306b ...'; title='...'" bench/chart.gp
# dir/chart-{hs-full,hs-resumed,bulk,heap}.dat: a header line of quoted series
# titles, then one line per group: its quoted label and one value per series
# ('-' when not measured).  Column i+1 is series i; word i of colours is its
# colour.

set terminal pngcairo size 1500,1150 font "DejaVu Sans,11" noenhanced
set output out
set datafile missing "-"
set datafile separator tab
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set xtics nomirror scale 0
set ytics nomirror
set yrange [0:*]
set border 3

# Two rows of two panels above a band for the legend.
L1 = 0.06; R1 = 0.48; L2 = 0.56; R2 = 0.98
T1 = 0.91; B1 = 0.57; T2 = 0.48; B2 = 0.15

set multiplot title title font ",15"


set lmargin at screen L1; set rmargin at screen R1
set tmargin at screen T1; set bmargin at screen B1
set xrange [-0.6:3.6]
set title "Full handshakes per second (higher is better)"
set ylabel "handshakes/s"
set key at screen 0.5, 0.07 center center horizontal maxrows 2 \
    noenhanced samplen 2 spacing 1.3 width 2 box lc rgb "#bbbbbb"
plot for [i=2:n+1] dir."/chart-hs-full.dat" using i:xtic(1) \
     title columnhead(i) lc rgb word(colours, i-1)
unset key

set lmargin at screen L2; set rmargin at screen R2
set title "Resumed handshakes per second (higher is better)"
plot for [i=2:n+1] dir."/chart-hs-resumed.dat" using i:xtic(1) \
     title columnhead(i) lc rgb word(colours, i-1)

set lmargin at screen L1; set rmargin at screen R1
set tmargin at screen T2; set bmargin at screen B2
set title "Bulk, TLS 1.2 ECDSA, 16 KiB writes (MB/s, 10^6 bytes/s; higher is better)"
set ylabel "MB/s"
plot for [i=2:n+1] dir."/chart-bulk.dat" using i:xtic(1) \
     title columnhead(i) lc rgb word(colours, i-1)

set lmargin at screen L2; set rmargin at screen R2
set xrange [-0.6:1.6]
set title "Heap per client connection, steady state (KiB; lower is better)\n" . \
          "C: malloc wrapper; Python: mallinfo2 over 50 held connections"
set ylabel "KiB"
plot for [i=2:n+1] dir."/chart-heap.dat" using i:xtic(1) \
     title columnhead(i) lc rgb word(colours, i-1)

unset multiplot
