// The `mig` command on malformed inputs: every one must end with a located
// `file:line:col: ...error...` message on stderr and exit status 1 -- not a
// crash, a signal, an uncaught exception or an ANTLR dump. Also the command
// line's own behaviour on good input.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Run {
  bool exited = false;
  int status = -1;
  std::string err;
};

std::string tempDir() {
  char tmpl[] = "/tmp/idl-test-XXXXXX";
  const char* d = mkdtemp(tmpl);
  REQUIRE(d != nullptr);
  return d;
}

// Runs mig with `args` in directory `cwd`, capturing stderr.
Run runMig(std::vector<std::string> args, const std::string& cwd) {
  args.insert(args.begin(), MIG_PATH);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string errPath = cwd + "/stderr.txt";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  posix_spawn_file_actions_addopen(&fa, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  Run r;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  int st = 0;
  REQUIRE(waitpid(pid, &st, 0) == pid);
  r.exited = WIFEXITED(st);
  r.status = r.exited ? WEXITSTATUS(st) : -1;
  std::ifstream in(errPath);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  return r;
}

std::vector<std::string> stubOutputs(const std::string& dir) {
  return {"-header", dir + "/x.h", "-user", dir + "/xUser.c", "-sheader", dir + "/xServer.h", "-server",
          dir + "/xServer.c"};
}

// mig on malformed/<name> must fail with an error at <file>:<line> (file is
// the one holding the error, after #include) whose text contains `what`.
void expectError(const std::string& name, const std::string& file, int line, const std::string& what) {
  std::string dir = tempDir();
  std::vector<std::string> args = stubOutputs(dir);
  args.push_back(std::string(IDL_TEST_DIR) + "/malformed/" + name);
  Run r = runMig(args, dir);
  INFO("stderr: " << r.err);
  REQUIRE(r.exited);  // no signal
  CHECK(r.status == 1);
  std::smatch m;
  static const std::regex located(R"(^(.*):([0-9]+):([0-9]+): (fatal )?error: (.*)$)");
  std::istringstream lines(r.err);
  std::string l;
  bool found = false;
  while (std::getline(lines, l))
    if (std::regex_match(l, m, located)) {
      found = true;
      break;
    }
  REQUIRE(found);
  std::string f = m[1];
  CHECK(f.size() >= file.size());
  CHECK(f.compare(f.size() - file.size(), file.size(), file) == 0);
  CHECK(std::stoi(m[2]) == line);
  CHECK(std::stoi(m[3]) >= 1);
  CHECK(std::string(m[5]).find(what) != std::string::npos);
  CHECK(r.err.find("terminate called") == std::string::npos);
  CHECK(r.err.find("internal error") == std::string::npos);
  CHECK(access((dir + "/xUser.c").c_str(), F_OK) != 0);  // nothing written
}

}  // namespace

#define MALFORMED(file, line, what) \
  TEST_CASE("mig refuses malformed/" file) { expectError(file, file, line, what); }

MALFORMED("unknown_type.defs", 6, "unknown type 'no_such_t'")
MALFORMED("duplicate_routine.defs", 6, "routine 'f' is already defined")
MALFORMED("duplicate_type.defs", 5, "type 'my_t' is already defined")
MALFORMED("array_bound_zero.defs", 4, "bad array bound 0")
MALFORMED("array_bound_negative.defs", 4, "bad array bound -4")
MALFORMED("missing_semicolon.defs", 5, "missing ';'")
MALFORMED("no_subsystem.defs", 2, "no subsystem statement")
MALFORMED("empty.defs", 1, "no subsystem statement")
MALFORMED("two_subsystems.defs", 4, "a second subsystem")
MALFORMED("routine_before_subsystem.defs", 1, "before the subsystem")
MALFORMED("unknown_msg_type.defs", 4, "unknown message type 'MACH_MSG_TYPE_INTEGER_31'")
MALFORMED("size_not_bytes.defs", 4, "not a whole number of bytes")
MALFORMED("port_size.defs", 4, "a port right is 32 bits")
MALFORMED("request_port_not_port.defs", 5, "must be a port right")
MALFORMED("request_port_receive.defs", 5, "not a receive right")
MALFORMED("simpleroutine_out.defs", 6, "a simpleroutine has no reply")
MALFORMED("copy_receive_sent.defs", 6, "COPY_RECEIVE can't be sent")
MALFORMED("inout_move_receive.defs", 6, "receive right")
MALFORMED("duplicate_argument.defs", 7, "argument 'x' is already declared")
MALFORMED("two_requestports.defs", 4, "more than one requestport")
MALFORMED("two_reply_ports.defs", 4, "more than one reply port")
MALFORMED("waittime_not_int.defs", 6, "32-bit integer")
MALFORMED("dealloc_inline.defs", 6, "dealloc applies only to out-of-line")
MALFORMED("pointer_to_scalar.defs", 4, "'^' needs an array type")
MALFORMED("variable_element.defs", 4, "fixed size")
MALFORMED("struct_of_ports.defs", 4, "can't hold port rights")
MALFORMED("inline_too_large.defs", 4, "does not fit in a message")
MALFORMED("message_too_large.defs", 5, "over the 65536-byte limit")
MALFORMED("bad_character.defs", 4, "'@'")
MALFORMED("unterminated_string.defs", 4, "")
MALFORMED("unclosed_argument_list.defs", 6, "<EOF>")
MALFORMED("missing_include.defs", 4, "no_such_file.defs")
MALFORMED("intran_on_array.defs", 5, "need a scalar or struct")
MALFORMED("division_by_zero.defs", 4, "division by zero")
MALFORMED("inout_out_of_line.defs", 6, "can't be inout")
MALFORMED("countinout_out_of_line.defs", 6, "CountInOut applies only to inline variable arrays")
MALFORMED("countinout_in.defs", 6, "CountInOut applies only to out arguments")
MALFORMED("conditional_error.defs", 7, "mismatched input ')'")
MALFORMED("keyword_as_name.defs", 4, "'type'")
MALFORMED("bad_skip.defs", 4, "bad skip count")
MALFORMED("invalid_utf8.defs", 2, "not valid UTF-8")
MALFORMED("line_marker_zero.defs", 1, "unknown type 'no_such_t'")
MALFORMED("line_marker_overflow.defs", 1000000001, "unknown type 'no_such_t'")
MALFORMED("line_marker_empty_name.defs", 7, "unknown type 'no_such_t'")
MALFORMED("deep_parentheses.defs", 3, "nested too deeply")
MALFORMED("deep_operators.defs", 3, "nested too deeply")
MALFORMED("deep_types.defs", 4, "nested too deeply")

TEST_CASE("mig refuses malformed/error_in_included_file.defs at the included file's line") {
  expectError("error_in_included_file.defs", "malformed/include/bad_types.defs", 3, "unknown type 'nothing_t'");
}

TEST_CASE("mig: a missing input file is reported, not a crash") {
  std::string dir = tempDir();
  Run r = runMig({"/nonexistent/x.defs"}, dir);
  REQUIRE(r.exited);
  CHECK(r.status == 1);
  CHECK(r.err.find("/nonexistent/x.defs") != std::string::npos);
}

TEST_CASE("mig: bad command lines exit 2 with the usage") {
  std::string dir = tempDir();
  Run r = runMig({"-bogus", "x.defs"}, dir);
  REQUIRE(r.exited);
  CHECK(r.status == 2);
  CHECK(r.err.find("usage:") != std::string::npos);
  r = runMig({}, dir);
  CHECK(r.status == 2);
  r = runMig({"-user"}, dir);
  CHECK(r.status == 2);
}

TEST_CASE("mig: default output names, -D passed to cpp, -prefix and -subrprefix") {
  std::string dir = tempDir();
  {
    std::ofstream f(dir + "/t.defs");
    f << "subsystem demo 500;\n"
         "type int = MACH_MSG_TYPE_INTEGER_32;\n"
         "#ifdef WITH_PING\n"
         "routine ping(server : MACH_MSG_TYPE_COPY_SEND; x : int);\n"
         "#endif\n";
  }
  Run r = runMig({"-DWITH_PING", "-prefix", "u_", "-subrprefix", "s_", "t.defs"}, dir);
  INFO(r.err);
  REQUIRE(r.exited);
  CHECK(r.status == 0);
  for (const char* f : {"/demo.h", "/demoUser.c", "/demoServer.h", "/demoServer.c"})
    CHECK(access((dir + f).c_str(), F_OK) == 0);
  std::ifstream h(dir + "/demo.h");
  std::stringstream hs;
  hs << h.rdbuf();
  CHECK(hs.str().find("kern_return_t u_ping(mach_port_t server,") != std::string::npos);
  std::ifstream sh(dir + "/demoServer.h");
  std::stringstream ss;
  ss << sh.rdbuf();
  CHECK(ss.str().find("kern_return_t s_ping(mach_port_t server,") != std::string::npos);
  CHECK(ss.str().find("boolean_t demo_server(mach_msg_header_t* InHeadP, mach_msg_header_t* OutHeadP);") !=
        std::string::npos);
}
