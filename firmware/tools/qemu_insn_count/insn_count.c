/*
 * insn_count: a QEMU TCG plugin that counts executed guest instructions exactly.
 *
 *   qemu-system-arm ... -plugin libinsn_count.so,range=NAME:START-END,mark=NAME:ADDR,outfile=PATH
 *
 * range=NAME:START-END  instructions executed at addresses in [START, END) (hex or decimal), e.g. a
 *                       function's symbol range; repeatable
 * mark=NAME:ADDR        each time the instruction at ADDR executes, the running total is recorded, so
 *                       the difference between two marks is what ran in between (e.g. an empty marker
 *                       function called before and after each op); repeatable
 * profile=N             also report the N most executed instruction addresses (a flat profile to
 *                       read beside `objdump -d`); per address, however often its code is retranslated
 * window=FROM:TO        with profile=N: count only what executed between the first executions of the
 *                       marks named FROM and TO (e.g. the runner's run marks; the loader left out)
 * outfile=PATH          where the report goes (default: QEMU's log, i.e. stderr)
 *
 * Addresses have bit 0 cleared (an ELF symbol of a Thumb function has it set). Report, one item a line:
 *   total COUNT
 *   range NAME COUNT
 *   mark NAME SEQUENCE TOTAL_AT_THAT_POINT      (in execution order)
 *   insn ADDRESS COUNT                          (profile=N: most executed first)
 * Counting is inline (a counter add translated in front of every instruction), hence exact; run with
 * one vCPU.
 *
 * Debian 12 does not package QEMU's plugin header (include/qemu/qemu-plugin.h is absent from
 * qemu-system-common), so the few declarations used are written out below from QEMU's stable plugin
 * C API, version 1 (the one QEMU 7.2 implements; the functions are exported by qemu-system-*).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the subset of qemu-plugin.h (API version 1) this plugin uses ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* only passed through */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
/* ---- end of the API subset ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

enum { kMaxRanges = 64, kMaxMarks = 64, kNameBytes = 64 };

struct range {
  char name[kNameBytes];
  uint64_t start, end;
  uint64_t count;
};

struct mark {
  char name[kNameBytes];
  uint64_t address;
};

struct mark_hit {
  uint32_t mark;
  uint64_t total;
};

static uint64_t total_count;
static struct range ranges[kMaxRanges];
static int range_count;
static struct mark marks[kMaxMarks];
static int mark_count;
static struct mark_hit *hits;
static size_t hit_count, hit_capacity;
static char *outfile;

/* profile=N: one counter per guest instruction address, in an open-addressing table. */
struct profile_slot {
  uint64_t address;
  uint64_t count;
  bool used;
};
enum { kProfileSlots = 1 << 20 };
static struct profile_slot *profile;
static size_t profile_top;
/* window=FROM:TO: the profile's counts snapshotted at the first execution of each of the two marks. */
static char window_names[2][kNameBytes];
static uint64_t *window_snapshots[2];
static bool windowed;

static void snapshot_profile(int which) {
  if (window_snapshots[which]) return; /* the first execution only */
  window_snapshots[which] = malloc(kProfileSlots * sizeof(uint64_t));
  if (!window_snapshots[which]) abort();
  for (size_t i = 0; i < kProfileSlots; ++i) window_snapshots[which][i] = profile[i].count;
}

static uint64_t *profile_counter(uint64_t address) {
  size_t i = (size_t)((address >> 1) * 0x9E3779B97F4A7C15ull >> 44) & (kProfileSlots - 1);
  for (size_t probes = 0; probes < kProfileSlots; ++probes, i = (i + 1) & (kProfileSlots - 1)) {
    if (!profile[i].used) {
      profile[i].used = true;
      profile[i].address = address;
      return &profile[i].count;
    }
    if (profile[i].address == address) return &profile[i].count;
  }
  return NULL; /* table full: the address goes unprofiled */
}

static int by_count_descending(const void *a, const void *b) {
  const struct profile_slot *x = a, *y = b;
  return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static void on_mark(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  if (hit_count == hit_capacity) {
    hit_capacity = hit_capacity ? 2 * hit_capacity : 1024;
    hits = realloc(hits, hit_capacity * sizeof *hits);
    if (!hits) abort();
  }
  hits[hit_count].mark = (uint32_t)(uintptr_t)userdata;
  hits[hit_count].total = total_count;
  ++hit_count;
  if (windowed) {
    for (int w = 0; w < 2; ++w) {
      if (strcmp(marks[(uint32_t)(uintptr_t)userdata].name, window_names[w]) == 0) snapshot_profile(w);
    }
  }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    const uint64_t address = qemu_plugin_insn_vaddr(insn);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &total_count, 1);
    for (int r = 0; r < range_count; ++r) {
      if (address >= ranges[r].start && address < ranges[r].end) {
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &ranges[r].count, 1);
      }
    }
    if (profile) {
      uint64_t *counter = profile_counter(address);
      if (counter) qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, counter, 1);
    }
    for (int m = 0; m < mark_count; ++m) {
      if (address == marks[m].address) {
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)m);
      }
    }
  }
}

static void emit(FILE *file, const char *line) {
  if (file) {
    fputs(line, file);
  } else {
    qemu_plugin_outs(line);
  }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  FILE *file = NULL;
  if (outfile) {
    file = fopen(outfile, "w");
    if (!file) {
      fprintf(stderr, "insn_count: cannot write outfile=%s\n", outfile);
      return;
    }
  }
  char line[256];
  snprintf(line, sizeof line, "total %" PRIu64 "\n", total_count);
  emit(file, line);
  for (int r = 0; r < range_count; ++r) {
    snprintf(line, sizeof line, "range %.63s %" PRIu64 "\n", ranges[r].name, ranges[r].count);
    emit(file, line);
  }
  uint64_t sequence[kMaxMarks] = {0};
  for (size_t h = 0; h < hit_count; ++h) {
    const uint32_t m = hits[h].mark;
    snprintf(line, sizeof line, "mark %.63s %" PRIu64 " %" PRIu64 "\n", marks[m].name, sequence[m]++, hits[h].total);
    emit(file, line);
  }
  if (profile && windowed) {
    if (!window_snapshots[0] || !window_snapshots[1]) {
      fprintf(stderr, "insn_count: window=%s:%s: a mark of the window never executed\n", window_names[0],
              window_names[1]);
      if (file) fclose(file);
      return;
    }
    for (size_t i = 0; i < kProfileSlots; ++i) {
      profile[i].count = window_snapshots[1][i] - window_snapshots[0][i];
    }
  }
  if (profile) {
    qsort(profile, kProfileSlots, sizeof *profile, by_count_descending);
    for (size_t i = 0; i < profile_top && i < kProfileSlots && profile[i].used; ++i) {
      snprintf(line, sizeof line, "insn 0x%" PRIx64 " %" PRIu64 "\n", profile[i].address, profile[i].count);
      emit(file, line);
    }
  }
  if (file) fclose(file);
}

/* "NAME:REST" -> name copied, returns REST, or NULL with a message when malformed. */
static const char *split_name(const char *argument, const char *value, char name[kNameBytes]) {
  const char *colon = strchr(value, ':');
  if (!colon || colon == value || (size_t)(colon - value) >= kNameBytes) {
    fprintf(stderr, "insn_count: %s: expected NAME:... with a name of 1-%d characters\n", argument, kNameBytes - 1);
    return NULL;
  }
  memcpy(name, value, (size_t)(colon - value));
  name[colon - value] = '\0';
  return colon + 1;
}

static bool parse_address(const char *argument, const char *text, char **end, uint64_t *address) {
  *address = strtoull(text, end, 0) & ~(uint64_t)1;
  if (*end == text) {
    fprintf(stderr, "insn_count: %s: expected an address (hex 0x... or decimal)\n", argument);
    return false;
  }
  return true;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; ++i) {
    const char *argument = argv[i];
    char *end = NULL;
    if (strncmp(argument, "range=", 6) == 0) {
      if (range_count == kMaxRanges) {
        fprintf(stderr, "insn_count: more than %d ranges\n", kMaxRanges);
        return -1;
      }
      struct range *r = &ranges[range_count];
      const char *rest = split_name(argument, argument + 6, r->name);
      if (!rest || !parse_address(argument, rest, &end, &r->start)) return -1;
      if (*end != '-' || !parse_address(argument, end + 1, &end, &r->end) || *end != '\0' || r->end <= r->start) {
        fprintf(stderr, "insn_count: %s: expected range=NAME:START-END with START < END\n", argument);
        return -1;
      }
      ++range_count;
    } else if (strncmp(argument, "mark=", 5) == 0) {
      if (mark_count == kMaxMarks) {
        fprintf(stderr, "insn_count: more than %d marks\n", kMaxMarks);
        return -1;
      }
      struct mark *m = &marks[mark_count];
      const char *rest = split_name(argument, argument + 5, m->name);
      if (!rest || !parse_address(argument, rest, &end, &m->address) || *end != '\0') {
        fprintf(stderr, "insn_count: %s: expected mark=NAME:ADDRESS\n", argument);
        return -1;
      }
      ++mark_count;
    } else if (strncmp(argument, "profile=", 8) == 0) {
      profile_top = strtoull(argument + 8, &end, 0);
      if (end == argument + 8 || *end != '\0' || profile_top == 0) {
        fprintf(stderr, "insn_count: %s: expected profile=N with N > 0\n", argument);
        return -1;
      }
      profile = calloc(kProfileSlots, sizeof *profile);
      if (!profile) return -1;
    } else if (strncmp(argument, "window=", 7) == 0) {
      const char *rest = split_name(argument, argument + 7, window_names[0]);
      if (!rest || *rest == '\0' || strlen(rest) >= kNameBytes) {
        fprintf(stderr, "insn_count: %s: expected window=FROM:TO (two mark names)\n", argument);
        return -1;
      }
      strcpy(window_names[1], rest);
      windowed = true;
    } else if (strncmp(argument, "outfile=", 8) == 0 && argument[8] != '\0') {
      outfile = strdup(argument + 8);
    } else {
      fprintf(stderr, "insn_count: unknown argument '%s' (expected range=, mark=, profile=, window= or outfile=)\n",
              argument);
      return -1;
    }
  }
  if (windowed && !profile) {
    fprintf(stderr, "insn_count: window= needs profile=N\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
  return 0;
}
