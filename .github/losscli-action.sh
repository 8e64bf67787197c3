#!/usr/bin/env bash
# The steps of action.yml: install losscli, evaluate the file with the gates asked for, keep the
# JSON report, and (comment: true) post the markdown on the pull request. The inputs arrive as
# LOSSCLI_* environment variables (never pasted into a script), so a file name is only ever an
# argument. Exit: losscli's (0 passed, 1 a gate failed, 2 usage, 3 data).
set -uo pipefail

if [ -n "${LOSSCLI_INSTALL:-}" ]; then
  python -m pip install --quiet "$LOSSCLI_INSTALL" || exit 2
elif ! command -v losscli >/dev/null 2>&1; then
  python -m pip install --quiet "$LOSSCLI_ACTION_PATH" || exit 2
fi

options=()
[ -n "${LOSSCLI_LABELS:-}" ] && options+=(--labels "$LOSSCLI_LABELS")
[ -n "${LOSSCLI_BASELINE:-}" ] && options+=(--baseline "$LOSSCLI_BASELINE")
[ -n "${LOSSCLI_TOLERANCE:-}" ] && options+=(--tolerance "$LOSSCLI_TOLERANCE")
set -f  # (no file-name expansion of what follows)
for gate in ${LOSSCLI_MAX:-}; do  # split on spaces and line ends; a gate holds neither
  options+=(--max "$gate")
done
for arg in ${LOSSCLI_ARGS:-}; do
  options+=("$arg")
done
set +f

report="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/losscli-report.json"
losscli eval "${options[@]}" --format json -- "$LOSSCLI_FILE" > "$report"  # (after --: a name, never a flag)
code=$?
if [ "$code" -le 1 ] && [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "report=$report" >> "$GITHUB_OUTPUT"
fi
if [ "${LOSSCLI_COMMENT:-false}" = "true" ] && [ "$code" -le 1 ] && [ -n "${LOSSCLI_PR:-}" ]; then
  body="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/losscli-report.md"
  GITHUB_ACTIONS=false losscli eval "${options[@]}" --format markdown -- "$LOSSCLI_FILE" > "$body" 2> /dev/null
  made=$?
  marker="<!-- losscli-report -->"
  if [ "$made" -gt 1 ] || [ "$(head -n 1 "$body")" != "$marker" ]; then
    echo "::warning title=losscli::the markdown report could not be made (exit $made); nothing was posted"
  else
    # the comment of an earlier run is the one that starts with the marker: edit it, else add one
    repo="${GITHUB_REPOSITORY:-}"
    earlier=$(gh api "repos/$repo/issues/$LOSSCLI_PR/comments" --paginate \
      --jq ".[] | select(.body | startswith(\"$marker\")) | .id" 2> /dev/null | tail -n 1)
    if [ -n "$earlier" ]; then
      gh api --method PATCH "repos/$repo/issues/comments/$earlier" -F "body=@$body" > /dev/null
    else
      gh pr comment "$LOSSCLI_PR" --body-file "$body" > /dev/null
    fi || echo "::warning title=losscli::the report could not be posted on the pull request (is GH_TOKEN set?)"
  fi
fi
exit "$code"
