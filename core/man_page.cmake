# Writes the sluice(1) man page from the binary's own --help, so the page never drifts from the
# CLI. Run at build time:  cmake -DSLUICE=<bin/sluice> -DOUT=<sluice.1> -DVERSION=<x.y.z> -P man_page.cmake
# Every subcommand (and theirs, e.g. dead-letters list) gets a section with its --help text.
# -DABSENT=a,b names the commands whose tool this build lacks (core/src/cli/tool_commands.hpp):
# their sections say so instead of failing on the missing tool.

# help_of(<out var> <words>...): `sluice <words> --help`, or a fatal error naming the command.
function(help_of out)
  execute_process(COMMAND ${SLUICE} ${ARGN} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " words "${ARGN}")
    message(FATAL_ERROR "man page: `sluice ${words} --help` failed (${rc}): ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# The names listed under "Subcommands:" in a help text.
function(subcommands_of out text)
  set(names "")
  set(in_list FALSE)
  string(REPLACE "\n" ";" lines "${text}")
  foreach(line IN LISTS lines)
    if(line MATCHES "^[Ss][Uu][Bb][Cc][Oo][Mm][Mm][Aa][Nn][Dd][Ss]:")
      set(in_list TRUE)
    elseif(in_list AND line MATCHES "^  ([a-z][a-z0-9-]*)")
      list(APPEND names "${CMAKE_MATCH_1}")
    elseif(in_list AND NOT line MATCHES "^ ")
      set(in_list FALSE)
    endif()
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# Help text as a roff no-fill block: backslashes doubled, lines starting with . or ' protected.
function(roff_block out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} ".nf\n${text}\n.fi\n" PARENT_SCOPE)
endfunction()

string(TIMESTAMP today "%Y-%m-%d" UTC)  # honours SOURCE_DATE_EPOCH (reproducible builds)
set(page ".TH SLUICE 1 \"${today}\" \"sluice ${VERSION}\" \"User Commands\"\n")
string(APPEND page ".SH NAME\nsluice \\- plugin-based stream processor (Kafka \\-> PostgreSQL \\-> REST)\n")
string(APPEND page ".SH SYNOPSIS\n.B sluice\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n")
help_of(top)
roff_block(block "${top}")
string(APPEND page ".SH DESCRIPTION\n${block}")
string(APPEND page ".SH COMMANDS\n")
subcommands_of(commands "${top}")
string(REPLACE "," ";" absent "${ABSENT}")
foreach(command IN LISTS commands)
  list(FIND absent "${command}" absent_at)  # (no IN_LIST: a script runs with the old policies)
  if(absent_at GREATER -1)
    string(APPEND page ".SS ${command}\nNot in this build: the tool that implements it was not built.\n")
    continue()
  endif()
  help_of(text ${command})
  roff_block(block "${text}")
  string(APPEND page ".SS ${command}\n${block}")
  subcommands_of(nested "${text}")
  foreach(sub IN LISTS nested)
    help_of(text ${command} ${sub})
    roff_block(block "${text}")
    string(APPEND page ".SS \"${command} ${sub}\"\n${block}")
  endforeach()
endforeach()
string(APPEND page ".SH FILES\n.TP\n.I /etc/sluice/pipeline.yaml\nthe default pipeline (the systemd unit runs it)\n"
                   ".TP\n.I /usr/lib/sluice/plugins\nthe plugins that ship with Sluice\n"
                   ".TP\n.I /usr/share/sluice\nthe web page, migrations, example pipelines and monitoring files\n")
string(APPEND page ".SH SEE ALSO\nThe README in the Sluice source tree; \\fBpsql\\fR(1), \\fBkcat\\fR(1).\n")
file(WRITE "${OUT}" "${page}")
