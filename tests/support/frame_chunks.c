/*
 * An arena allocator for the test processes that keeps the 16 KiB blocks CPython 3.11 maps for a thread's frame
 * stack, instead of unmapping them. Loaded by tests/support/frame_chunks.py through ctypes.
 *
 * CPython holds each thread's frames in 16 KiB chunks taken from the arena allocator (mmap) and gives a chunk
 * back (munmap) as soon as the call depth falls below its start. Code whose depth keeps crossing such a
 * boundary, as botocore and moto do on every request, maps and unmaps memory thousands of times a second and
 * touches fresh pages each time: a fifth of the suite's CPU, mostly in the kernel. Up to KEPT blocks of that
 * size are kept for the next chunk; every other request goes to the allocator that was installed before.
 *
 * CPython calls the arena allocator with the GIL held, so the list needs no lock of its own.
 */
#include <stddef.h>

/* CPython's PyObjectArenaAllocator (Include/cpython/objimpl.h), a stable part of its C API. */
typedef struct {
    void *ctx;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr, size_t size);
} ArenaAllocator;

#define CHUNK_SIZE 16384
#define KEPT 64

static ArenaAllocator previous;
static void *kept[KEPT];
static int kept_count;

void *frame_chunks_alloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size == CHUNK_SIZE && kept_count > 0)
        return kept[--kept_count];
    return previous.alloc(previous.ctx, size);
}

void frame_chunks_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (size == CHUNK_SIZE && kept_count < KEPT) {
        kept[kept_count++] = ptr;
        return;
    }
    previous.free(previous.ctx, ptr, size);
}

/* The allocator in place before: every other request goes to it, and every block freed when the list is full. */
void frame_chunks_wrap(const ArenaAllocator *installed)
{
    previous = *installed;
}

/* How many blocks are kept now (the tests read it). */
int frame_chunks_kept(void)
{
    return kept_count;
}
