//! The `gongjian` binary. Everything lives in the library; this only runs it.

/// mimalloc instead of glibc's allocator: an import builds and frees millions of small
/// strings and vectors on two threads, which glibc's allocator made a fifth of the reading
/// thread's time (ADR 0004).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gongjian::cli::main()
}
