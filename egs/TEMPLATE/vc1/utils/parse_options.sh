#!/usr/bin/env bash
# Parse "--name value" (or "--name=value") options into existing shell variables, Kaldi style.
#
# Usage, after the variables and their defaults are defined:  . utils/parse_options.sh
#   --foo-bar x and --foo_bar x both set foo_bar=x; an option without a variable is an error;
#   a variable whose default is true/false only takes true/false; --config FILE sources FILE first;
#   --help / -h prints "${help_message}" and exits. Parsing stops at the first non-option argument,
#   which is left in "$@" for the caller.

for ((__po_i = 1; __po_i <= $#; __po_i++)); do
    if [ "${!__po_i}" = "--config" ]; then
        __po_j=$((__po_i + 1))
        # shellcheck disable=SC1090
        . "${!__po_j}" || { echo "$0: cannot read config file ${!__po_j}" >&2; exit 1; }
    fi
done

while [ $# -gt 0 ]; do
    case "$1" in
        --help | -h)
            echo "${help_message:-"$0: no help message"}"
            exit 0
            ;;
        --config)
            [ $# -ge 2 ] || { echo "$0: option --config needs a value" >&2; exit 1; }
            shift 2
            ;;
        --*=*)
            __po_name=${1%%=*}
            set -- "${__po_name}" "${1#*=}" "${@:2}"
            ;;
        --*)
            __po_name=${1#--}
            __po_name=${__po_name//-/_}
            if [[ ! "${__po_name}" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [ -z "${!__po_name+set}" ]; then
                echo "$0: invalid option $1" >&2
                exit 1
            fi
            [ $# -ge 2 ] || { echo "$0: option $1 needs a value" >&2; exit 1; }
            __po_old=${!__po_name}
            if [ "${__po_old}" = true ] || [ "${__po_old}" = false ]; then
                if [ "$2" != true ] && [ "$2" != false ]; then
                    echo "$0: option $1 takes true or false, not '$2'" >&2
                    exit 1
                fi
            fi
            printf -v "${__po_name}" '%s' "$2"
            shift 2
            ;;
        *)
            break
            ;;
    esac
done
unset __po_i __po_j __po_name __po_old
true
