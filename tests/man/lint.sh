#!/bin/bash
# lint.sh - checks of the manual pages in man/.
#
# Usage: tests/man/lint.sh SOURCE_DIR
#
#   1. mandoc -T lint on every page: any message fails, except the two
#      that depend on the manuals installed on this machine ("referenced
#      manual not found", "outdated mandoc.db").
#   2. Every page names itself after its first function: NAME's first .Nm
#      is the file's name, and the "MLINKS:" comment at the top lists
#      exactly the names of the NAME section.
#   3. Every function declared with USSL_API in include/ussl.h is in the
#      NAME section of a page and in that page's SYNOPSIS (.Fn or .Fo), so
#      a function added without documentation fails here.
#   4. Every .Xr to a ussl page points at a page or a name of one, and
#      ussl(3) refers to every other page in its SEE ALSO.
#
# Check 3 first proves that it can fail: a header with one more, invented
# function must be reported.  Exit status: 0 all good, 1 failure, 77 when
# mandoc is not installed (CTest's skip code).
set -u
export LC_ALL=C

src=${1:?usage: lint.sh SOURCE_DIR}
man=$src/man
header=$src/include/ussl.h

if ! command -v mandoc >/dev/null 2>&1; then
	echo "SKIP: mandoc is not installed (apt-get install mandoc):" \
	    "manual pages not checked"
	exit 77
fi

fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

shopt -s nullglob
pages=("$man"/*.[1-9])
if [ ${#pages[@]} -eq 0 ]; then
	echo "FAIL: no manual pages in $man"
	exit 1
fi

# Text of the header without comments and preprocessor lines.
strip_c() {
	awk '
	{
		line = $0; out = ""
		while (length(line) > 0) {
			if (incomment) {
				i = index(line, "*/")
				if (i == 0) { line = ""; break }
				line = substr(line, i + 2); incomment = 0
			} else {
				i = index(line, "/*")
				if (i == 0) { out = out line; line = ""; break }
				out = out substr(line, 1, i - 1) " "
				line = substr(line, i + 2); incomment = 1
			}
		}
		print out
	}' "$1" | grep -v '^[[:space:]]*#'
}

# Names of the functions declared with USSL_API, one a line.
api_functions() {
	strip_c "$1" | tr '\n' ' ' | grep -o 'USSL_API[^;{]*' |
	    sed 's/(.*//; s/[[:space:]]*$//; s/.*[^A-Za-z0-9_]//' | sort -u
}

# Lines of one section (.Sh NAME ...) of a page.
section() {
	awk -v want="$2" '
	/^\.Sh / { insec = ($0 == ".Sh " want); next }
	insec' "$1"
}

# Names in the NAME section of a page, in order.
name_names() {
	section "$1" NAME | sed -n 's/^\.Nm[[:space:]]\{1,\}\([^ ,]*\).*/\1/p'
}

# Names listed in the MLINKS comments of a page.
mlinks_names() {
	sed -n 's/^\.\\"[[:space:]]*MLINKS:[[:space:]]*//p' "$1" | tr ' ' '\n' |
	    sed '/^$/d'
}

# Functions documented by the pages of $1: in the NAME section and the
# SYNOPSIS of the same page.  One a line, sorted.
documented() {
	local p
	for p in "$1"/*.3; do
		awk '
		/^\.Sh / { sec = substr($0, 5); next }
		sec == "NAME" && $1 == ".Nm" { n = $2; sub(/,$/, "", n); nm[n] = 1 }
		sec == "SYNOPSIS" && ($1 == ".Fn" || $1 == ".Fo") { fn[$2] = 1 }
		END { for (n in nm) if (n in fn) print n }' "$p"
	done | sort -u
}

# Functions of header $1 that no page of $2 documents, one a line.
undocumented() {
	comm -23 <(api_functions "$1") <(documented "$2")
}

# --- 1. mandoc -T lint --------------------------------------------------
for p in "${pages[@]}"; do
	out=$(mandoc -T lint -W style "$p" 2>&1 |
	    grep -v -e 'referenced manual not found' -e 'outdated mandoc.db')
	if [ -n "$out" ]; then
		bad "mandoc -T lint ${p#"$src"/}:"
		printf '%s\n' "$out"
	fi
	if ! mandoc -T utf8 "$p" >/dev/null 2>&1; then
		bad "${p#"$src"/} does not render"
	fi
done

# --- 2. page names and MLINKS -------------------------------------------
declare -A all_names=()
for p in "${pages[@]}"; do
	base=$(basename "$p")
	base=${base%.*}
	names=$(name_names "$p")
	first=$(printf '%s\n' "$names" | head -n 1)
	if [ -z "$names" ]; then
		bad "${p#"$src"/}: no .Nm in its NAME section"
		continue
	fi
	[ "$first" = "$base" ] ||
	    bad "${p#"$src"/}: its first name is $first, not $base"
	if [ "$(printf '%s\n' "$names" | sort)" != \
	    "$(mlinks_names "$p" | sort)" ]; then
		bad "${p#"$src"/}: the MLINKS comment does not list the names" \
		    "of its NAME section:" "$(echo "$names" | tr "\n" " ")"
	fi
	for n in $names; do
		all_names[$n]=1
	done
done

# --- 3. every USSL_API function documented ------------------------------
nfun=$(api_functions "$header" | wc -l)
# Sanity of the parser: one name per USSL_API declaration.
ndecl=$(strip_c "$header" | grep -o 'USSL_API' | wc -l)
if [ "$nfun" -lt 1 ] || [ "$nfun" -ne "$ndecl" ]; then
	bad "found $nfun function names for $ndecl USSL_API declarations" \
	    "in include/ussl.h: the parser of this test needs a look"
fi
# The check must be able to fail: an invented function must be missed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$header" "$tmp/ussl.h"
printf '/* probe */\nUSSL_API int\nussl_lint_probe_fn(void);\n' >>"$tmp/ussl.h"
if ! undocumented "$tmp/ussl.h" "$man" | grep -qx ussl_lint_probe_fn; then
	bad "the documentation check does not notice an undocumented function"
fi
missing=$(undocumented "$header" "$man")
for f in $missing; do
	bad "$f (include/ussl.h) is in no page's NAME and SYNOPSIS"
done

# --- 4. cross references ------------------------------------------------
for p in "${pages[@]}"; do
	# shellcheck disable=SC2013 # the references are words
	for ref in $(sed -n 's/^\.Xr[[:space:]]\{1,\}\(ussl[A-Za-z0-9_]*\)[[:space:]]\{1,\}\([1-9]\).*/\1.\2/p' "$p"); do
		name=${ref%.*}
		sec=${ref##*.}
		if [ ! -f "$man/$name.$sec" ] && [ -z "${all_names[$name]:-}" ]; then
			bad "${p#"$src"/}: .Xr $name $sec names no page"
		fi
	done
done
if [ -f "$man/ussl.3" ]; then
	seealso=$(section "$man/ussl.3" "SEE ALSO" |
	    sed -n 's/^\.Xr[[:space:]]\{1,\}\([^ ]*\)[[:space:]]\{1,\}\([1-9]\).*/\1.\2/p')
	for p in "${pages[@]}"; do
		base=$(basename "$p")
		[ "$base" = ussl.3 ] && continue
		printf '%s\n' "$seealso" | grep -qx "$base" ||
		    bad "man/ussl.3: SEE ALSO lacks ${base%.*}(${base##*.})"
	done
else
	bad "man/ussl.3 is missing"
fi

if [ $fail -ne 0 ]; then
	exit 1
fi
echo "ok: ${#pages[@]} pages lint clean; $nfun functions of include/ussl.h" \
    "documented"
exit 0
