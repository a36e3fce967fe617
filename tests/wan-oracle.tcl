# SPDX-License-Identifier: ISC
# wan-oracle.tcl -- Tcl 8.6's own verdict for each target, the oracle of
# test_wan.py: `socket -async`, wait until writable or the deadline, then
# `fconfigure -error` (empty: connected).  One line per target:
#   HOST PORT ok | HOST PORT error TEXT | HOST PORT timeout
# Usage: tclsh8.6 wan-oracle.tcl TIMEOUT_MS HOST:PORT...   (IPv6 in [])
set timeout_ms [lindex $argv 0]
proc done {key s} {
	global result
	set err [fconfigure $s -error]
	if {$err eq ""} {
		set result($key) ok
	} else {
		set result($key) "error $err"
	}
	catch {close $s}
	incr ::tick
}
set tick 0
set pending {}
foreach t [lrange $argv 1 end] {
	if {[regexp {^\[(.*)\]:(\d+)$} $t -> host port] == 0} {
		regexp {^(.*):(\d+)$} $t -> host port
	}
	set key "$host $port"
	if {[catch {socket -async $host $port} s]} {
		set result($key) "error $s"
		continue
	}
	lappend pending $key $s
	fileevent $s writable [list done $key $s]
}
after $timeout_ms {set ::alarm 1; incr ::tick}
proc unfinished {} {
	global pending result
	set n 0
	foreach {key s} $pending {
		if {![info exists result($key)]} {incr n}
	}
	return $n
}
while {[unfinished] > 0 && ![info exists ::alarm]} {
	vwait ::tick
}
foreach {key s} $pending {
	if {![info exists result($key)]} {
		set result($key) timeout
		catch {close $s}
	}
}
foreach t [lrange $argv 1 end] {
	if {[regexp {^\[(.*)\]:(\d+)$} $t -> host port] == 0} {
		regexp {^(.*):(\d+)$} $t -> host port
	}
	puts "$host $port $result($host $port)"
}
