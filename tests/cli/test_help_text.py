"""Help text says what it means: square brackets in it are text, not rich markup."""


def test_help_keeps_the_lab_extra_in_brackets(run):
    code, out, _ = run("--help")
    assert code == 0
    flat = " ".join(out.split())
    assert "[lab] extra" in flat and "(with the extra)" not in flat.replace("  ", " ")
