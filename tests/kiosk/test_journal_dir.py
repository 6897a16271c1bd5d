# SPDX-License-Identifier: MIT
"""sim-machine's persistent mode (--journal DIR): a second life on the same
folder carries on where the first stopped, a folder is only reopened with the
options it was made with, a damaged or half-missing folder is refused with a
message and left as it was, and one folder has one program at a time."""
import os
import re
import subprocess

import pytest


def _exe():
    exe = os.environ.get("CV_SIM_MACHINE")
    if not exe:
        pytest.fail("CV_SIM_MACHINE is not set (run through meson test)")
    return exe


def _run(args, stdin=b"", check=True):
    proc = subprocess.run([_exe(), *args], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout.decode(errors="replace"))
    return proc


def _kiosk(folder, stdin):
    return _run(["kiosk", "--journal", str(folder)], stdin).stdout.decode()


def _stock(out, label):
    """The count the last menu printed for a lane."""
    counts = re.findall(rf"  {label} .* (\d+) left$", out, re.M)
    assert counts, out
    return int(counts[-1])


def test_a_second_life_continues_numbering_stock_and_stats(tmp_path):
    folder = tmp_path / "m"
    first = _kiosk(folder, b"A1\ncard approved\nquit\n")
    assert "life 1 on" in first
    assert re.search(r"^vend +1 +A1 .*CAPTURED", first, re.M), first
    second = _kiosk(folder, b"A1\ncard approved\nmenu\nquit\n")
    assert "life 2 on" in second and "the last life stopped in order" in second, second
    # Numbers go on, past a gap: a new life skips the numbers a vend that
    # never reached the disk may have taken, so none names two vends.
    numbers = [int(n) for n in re.findall(r"^vend +(\d+) +A1 .*CAPTURED", second, re.M)]
    assert len(numbers) == 1 and numbers[0] > 1, "numbering goes on:\n" + second
    assert _stock(second, "A1") == 10, "two sold of 12, one in each life"


def test_a_demo_that_is_never_killed_keeps_the_books_of_the_ram_journal(tmp_path):
    args = ["demo", "--customers", "40", "--seed", "3", "--faults", "--quiet"]
    ram = _run(args).stdout.decode()
    disk = _run(args + ["--journal", str(tmp_path / "m")]).stdout.decode()

    def books(out):
        # Unknown outcomes are not journaled (a restart keeps the last
        # checkpoint's count) and the power stays off a simulated minute.
        text = out.split("==== reconciliation ====", 1)[1]
        return "\n".join(line for line in text.splitlines()
                         if not line.startswith(("journal:", "lives:", "simulated time:", "  unknown payment")))
    assert "BOOKS RECONCILE" in disk
    assert books(ram) == books(disk)
    again = _run(args + ["--journal", str(tmp_path / "m")]).stdout.decode()
    assert "all 40 customers were served in earlier lives" in again
    assert books(again) == books(disk), "a finished run only reconciles again"


def test_a_folder_is_reopened_only_with_its_own_options(tmp_path):
    folder = tmp_path / "m"
    _run(["demo", "--customers", "5", "--seed", "7", "--journal", str(folder), "--quiet"])
    other_seed = _run(["demo", "--customers", "5", "--seed", "8", "--journal", str(folder)], check=False)
    assert other_seed.returncode == 1
    assert (f"was started as `sim-machine demo --customers 5 --seed 7 --journal {folder}`"
            in other_seed.stdout.decode()), other_seed.stdout
    kiosk = _run(["kiosk", "--journal", str(folder)], b"quit\n", check=False)
    assert kiosk.returncode == 1
    assert "holds a demo run, not a kiosk run" in kiosk.stdout.decode()


def test_a_damaged_world_or_a_missing_one_is_refused_and_the_journal_kept(tmp_path):
    folder = tmp_path / "m"
    _kiosk(folder, b"A1\ncard approved\nquit\n")
    def segments():  # the lock file names its last holder; the rest is the journal
        return {p.name: p.read_bytes() for p in (folder / "journal").iterdir() if p.name != "lock"}
    before = segments()
    assert before
    world = folder / "world"
    data = bytearray(world.read_bytes())
    data[len(data) // 2] ^= 1
    world.write_bytes(bytes(data))
    out = _run(["kiosk", "--journal", str(folder)], b"quit\n", check=False)
    assert out.returncode == 1
    assert "cannot be restored: stored data is corrupt" in out.stdout.decode(), out.stdout
    world.write_bytes(bytes(data[:100]))
    out = _run(["kiosk", "--journal", str(folder)], b"quit\n", check=False)
    assert out.returncode == 1 and "is damaged or was written by another build" in out.stdout.decode()
    world.unlink()
    out = _run(["kiosk", "--journal", str(folder)], b"quit\n", check=False)
    assert out.returncode == 1 and "holds a journal but" in out.stdout.decode(), out.stdout
    assert segments() == before


def test_one_folder_one_program(tmp_path):
    folder = tmp_path / "m"
    holder = subprocess.Popen([_exe(), "kiosk", "--journal", str(folder)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        holder.stdout.readline()  # the greeting: the folder is open after it
        holder.stdout.readline()
        second = _run(["kiosk", "--journal", str(folder)], b"quit\n", check=False)
        assert second.returncode == 1
        assert f"is in use by process {holder.pid}" in second.stdout.decode(), second.stdout
    finally:
        holder.communicate(b"quit\n", timeout=60)
    assert holder.returncode == 0


def test_a_folder_name_is_required_and_a_file_is_no_folder(tmp_path):
    missing = _run(["demo", "--journal"], check=False)
    assert missing.returncode == 2 and "--journal needs a folder name" in missing.stdout.decode()
    plain = tmp_path / "file"
    plain.write_text("x")
    out = _run(["demo", "--journal", str(plain)], check=False)
    assert out.returncode == 1 and "cannot create the folder" in out.stdout.decode(), out.stdout


def test_a_world_whose_journal_is_gone_or_another_is_refused_and_left_as_it_was(tmp_path):
    folder, other = tmp_path / "m", tmp_path / "other"
    args = ["demo", "--customers", "30", "--seed", "5", "--quiet"]
    _run(args + ["--journal", str(folder)])
    _run(args + ["--journal", str(other)])
    world = (folder / "world").read_bytes()
    # Another run's shorter journal in its place (the same options).
    for segment in (folder / "journal").glob("*.cvj"):
        segment.unlink()
    for segment in (other / "journal").glob("*.cvj"):
        (folder / "journal" / segment.name).write_bytes(segment.read_bytes()[:4096])
    out = _run(args + ["--journal", str(folder)], check=False)
    assert out.returncode == 1
    assert "are not from the same run" in out.stdout.decode(), out.stdout
    assert (folder / "world").read_bytes() == world, "a refused start writes nothing"
    # No journal at all.
    for segment in (folder / "journal").glob("*.cvj"):
        segment.unlink()
    out = _run(args + ["--journal", str(folder)], check=False)
    assert out.returncode == 1 and "the journal is lost" in out.stdout.decode(), out.stdout
    assert (folder / "world").read_bytes() == world


def test_a_start_the_engine_refuses_is_no_life_and_leaves_the_world(tmp_path):
    folder = tmp_path / "m"
    args = ["demo", "--customers", "20", "--seed", "3", "--quiet", "--journal", str(folder)]
    _run(args)
    segment = sorted((folder / "journal").glob("*.cvj"))[0]
    good = segment.read_bytes()
    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0xFF
    segment.write_bytes(bytes(damaged))
    world = (folder / "world").read_bytes()
    for _ in range(2):
        out = _run(args, check=False)
        assert out.returncode == 1
        assert f"cannot start the machine on {folder}/journal" in out.stdout.decode(), out.stdout
        assert (folder / "world").read_bytes() == world
    segment.write_bytes(good)
    out = _run(args).stdout.decode()
    assert "lives: 2 (0 cut off" in out, out
