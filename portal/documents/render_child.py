"""Draw one page of a PDF to PNG, in a process of its own with hard limits (run by portal/documents/preview.py).

Run as a script, never imported by the portal: `python -I render_child.py PDF PAGE OUT CPU_S MEMORY_MB SCALE SIDE`.
The limits are set before pdfium is loaded, so a hostile content stream ends this process (SIGXCPU, a failed
allocation), never the web worker that waits for it. Exit 0: OUT written; 2: no such page or not a PDF pdfium
reads (shown as before: download only); anything else, or a signal: the page cannot be shown within the limits.
"""
import resource
import sys

NOT_RENDERABLE = 2


def _limit(kind: int, soft: int, hard: int | None = None) -> None:
    ceiling = resource.getrlimit(kind)[1]  # a process may lower its hard limit, never raise it
    hard = soft if hard is None else hard
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    resource.setrlimit(kind, (soft, hard))


def main(argv: list[str]) -> int:
    source, page, out, cpu_seconds, memory_mb, scale, side = argv
    page, cpu_seconds, memory_mb = int(page), int(cpu_seconds), int(memory_mb)
    _limit(resource.RLIMIT_CORE, 0)  # SIGXCPU would otherwise leave a core file per hostile page
    _limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)  # SIGXCPU at the soft limit, SIGKILL a second later
    _limit(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    _limit(resource.RLIMIT_FSIZE, 64 * 1024 * 1024)  # a page image is at most about 12 MB (MAX_PREVIEW_SIDE)

    import pypdfium2  # here, not at the top: the library loads inside the limits just set, never outside them

    try:
        pdf = pypdfium2.PdfDocument(source)
    except (pypdfium2.PdfiumError, OSError):
        return NOT_RENDERABLE
    if not 0 <= page < len(pdf):
        return NOT_RENDERABLE
    try:
        pdf_page = pdf[page]
        width, height = pdf_page.get_size()
        # Half a pixel under the limit: the renderer rounds each side up (services.preview_scale).
        image = pdf_page.render(scale=min(float(scale), (float(side) - 0.5) / max(width, height, 1))).to_pil()
    except pypdfium2.PdfiumError:
        return NOT_RENDERABLE
    image.save(out, format="PNG", optimize=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
