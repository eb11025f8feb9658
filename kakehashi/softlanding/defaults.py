"""The default checklist templates, as data: Tokyo's Startup Visa path, the Business Manager path and
the "already resident" path, in English and Japanese.

Built from the public guidance summarised in ``shared/reference/softlanding-japan.md`` (JETRO "How to
Set Up Business in Japan", the Tokyo Metropolitan Government's Startup Visa pages, Ministry of Justice
and Immigration Services Agency notices, the National Tax Agency). Rules change: each rule-bearing step
cites its source and the date staff last checked it; staff edit the templates in the app, and
``flask softlanding load-templates --update`` reloads these defaults as a new version.

Deadlines are relative to the completion of another step (``deadline_after``), never to the case's
start: "within 14 days of moving in" is 14 days after the ``housing`` step is done.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from kakehashi.softlanding.models import LandingPath, Party, StepCategory
from kakehashi.softlanding.template_services import StepValues

REVIEWED_ON = date(2026, 11, 1)

# Sources (public pages of the authorities and of JETRO / the Tokyo Metropolitan Government).
TMG_STARTUP_VISA = "https://www.investtokyo.metro.tokyo.lg.jp/en/oursupports/bdc-tokyo/startupvisa.html"
ISA_BUSINESS_MANAGER = "https://www.isa.go.jp/en/applications/procedures/nyuukokukanri07_00088.html"
ISA_BUSINESS_MANAGER_2025 = "https://www.moj.go.jp/isa/applications/resources/10_00237.html"
ISA_CHANGE_OF_STATUS = "https://www.moj.go.jp/isa/applications/procedures/16-2.html"
ISA_RESIDENCY = "https://www.isa.go.jp/en/publications/materials/newimmiact_4_port-city.html"
MOFA_VISA = "https://www.mofa.go.jp/j_info/visit/visa/index.html"
JETRO_GUIDE = "https://www.jetro.go.jp/en/invest/setting_up/guide"
JETRO_INCORPORATION = "https://www.jetro.go.jp/en/invest/setting_up/section1/page3.html"
JETRO_NOTIFICATIONS = "https://www.jetro.go.jp/en/invest/setting_up/section1/page6.html"
JETRO_SOCIAL_INSURANCE = "https://www.jetro.go.jp/en/invest/setting_up/section4/page9.html"
MOJ_KK_INCORPORATION = "https://www.moj.go.jp/MINJI/minji06_00134.html"
NTA_NEW_CORPORATION = "https://www.nta.go.jp/taxes/shiraberu/taxanswer/hojin/5100.htm"
NTA_BLUE_FORM = "https://www.nta.go.jp/taxes/tetsuzuki/shinsei/annai/hojin/annai/1554_14.htm"
TOKYO_SEAL_REGISTRATION = "https://tabunka.tokyo-tsunagari.or.jp/guide_eng/proce/04.html"


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    name: dict[str, str]
    description: dict[str, str]
    path: LandingPath
    steps: tuple[StepValues, ...]


def _t(en: str, ja: str) -> dict[str, str]:
    """A bilingual text as written (titles; required documents, one per line)."""
    return {"en": en.strip(), "ja": ja.strip()}


def _md(en: str, ja: str) -> dict[str, str]:
    """A bilingual Markdown body; the source's line wrapping is undone (Japanese joins without spaces)."""

    def unwrap(text: str, joiner: str) -> str:
        paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
        return "\n\n".join(joiner.join(line.strip() for line in p.splitlines()) for p in paragraphs)

    return {"en": unwrap(en, " "), "ja": unwrap(ja, "")}


def _step(key: str, category: StepCategory, **kwargs: object) -> StepValues:
    kwargs.setdefault("reviewed_on", REVIEWED_ON)
    return StepValues(key=key, category=category, **kwargs)  # type: ignore[arg-type]


# --- visa (Startup Visa path) ---------------------------------------------------------------------

STARTUP_VISA_CONFIRMATION = _step(
    "startup-visa-confirmation",
    StepCategory.VISA,
    title=_t("Get the Startup Visa confirmation from Tokyo", "東京都からスタートアップビザの確認を受ける"),
    body=_md(
        """
Submit your startup preparation activity plan — written in **Japanese** — to Business Development Center
Tokyo (BDC Tokyo, ARK Mori Building 7F, inside JETRO headquarters in Akasaka). Tokyo reviews the plan and
interviews you; since 16 October 2025 the plan must show the business reaching **¥30M in business assets
within a year**. If Tokyo confirms the plan you receive a confirmation certificate, which the Certificate of
Eligibility needs: upload it here. The review is free; ask staff to read your plan before you submit it.
""",
        """
スタートアップ準備活動計画書（**日本語**で作成）を、ビジネスコンシェルジュ東京（BDC Tokyo、赤坂・アーク森ビル
7階、JETRO本部内）に提出します。東京都が計画を審査し、面談を行います。2025年10月16日以降、計画には**1年以内に
事業用資産3,000万円**に達する見込みを示す必要があります。確認されると確認証明書が交付され、在留資格認定証明書の
申請に使います。ここにアップロードしてください。審査は無料です。提出前に計画書をスタッフに確認してもらいましょう。
""",
    ),
    party=Party.FOUNDER,
    duration_days=14,
    required_documents=_t(
        """
Startup preparation activity plan (in Japanese)
Proof of living funds for your stay
Housing plan in Tokyo
Passport copy
""",
        """
スタートアップ準備活動計画書（日本語）
滞在中の生活費を証明する書類
東京での住居の計画
パスポートの写し
""",
    ),
    needs_upload=True,
    source_url=TMG_STARTUP_VISA,
)

COE_STARTUP_VISA = _step(
    "coe",
    StepCategory.VISA,
    title=_t(
        "Certificate of Eligibility (filed by a proxy in Japan)",
        "在留資格認定証明書の交付申請（日本国内の代理人が申請）",
    ),
    body=_md(
        """
With the confirmation certificate, a proxy in Japan — usually an administrative scrivener (行政書士,
*gyōseishoshi*) — applies to the Regional Immigration Services Bureau for your Certificate of Eligibility
(status "Designated Activities"). Allow one to one and a half months, and apply while the confirmation
certificate is still valid. The certificate goes to your proxy, who sends it on to you: upload a copy here.
""",
        """
確認証明書をもとに、日本国内の代理人（通常は行政書士）が地方出入国在留管理局へ在留資格認定証明書（在留資格
「特定活動」）を申請します。期間は1〜1.5か月が目安です。確認証明書の有効期間内に申請してください。交付された
証明書は代理人から本人へ送られます。写しをここにアップロードしてください。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=45,
    required_documents=_t(
        """
Startup Visa confirmation certificate
Startup preparation activity plan
Application form and photo (4 cm × 3 cm)
Passport copy
""",
        """
スタートアップビザの確認証明書
スタートアップ準備活動計画書
申請書と写真（縦4cm×横3cm）
パスポートの写し
""",
    ),
    needs_upload=True,
    source_url=TMG_STARTUP_VISA,
    depends_on=("startup-visa-confirmation",),
)

VISA = _step(
    "visa",
    StepCategory.VISA,
    title=_t("Get the visa at a Japanese embassy or consulate", "日本大使館・総領事館で査証（ビザ）を取得する"),
    body=_md(
        """
Take the Certificate of Eligibility and your passport to the Japanese embassy or consulate where you live.
The visa is usually issued in about five working days; the fee depends on your nationality. A Certificate
of Eligibility is valid for three months: enter Japan before it expires.
""",
        """
在留資格認定証明書とパスポートを、居住国の日本大使館・総領事館に提出します。査証は通常5営業日ほどで発給され、
手数料は国籍によって異なります。在留資格認定証明書の有効期間は3か月です。期限内に入国してください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=7,
    required_documents=_t(
        """
Passport
Certificate of Eligibility
Visa application form and photo
""",
        """
パスポート
在留資格認定証明書
査証申請書と写真
""",
    ),
    source_url=MOFA_VISA,
    depends_on=("coe",),
)

ENTRY = _step(
    "entry",
    StepCategory.VISA,
    title=_t("Enter Japan and receive your residence card", "入国し、在留カードを受け取る"),
    body=_md(
        """
At Narita, Haneda, Chubu, Kansai, New Chitose, Hiroshima and Fukuoka airports the residence card (在留カード)
is issued at the immigration counter on arrival. At other ports your passport is marked "residence card to be
issued later" and the card is mailed to you after you register your address. Carry the card at all times,
and upload a copy of both sides here.
""",
        """
成田・羽田・中部・関西・新千歳・広島・福岡の各空港では、入国審査の際に在留カードが交付されます。その他の空港・
港では旅券に「在留カード後日交付」と記載され、住居地の届出の後に郵送されます。在留カードは常に携帯し、表と裏の
写しをここにアップロードしてください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=1,
    required_documents=_t(
        """
Passport with the landing permission
Residence card (both sides)
""",
        """
上陸許可を受けたパスポート
在留カード（表・裏）
""",
    ),
    needs_upload=True,
    source_url=ISA_RESIDENCY,
    depends_on=("visa",),
)

# --- housing and ward registration ----------------------------------------------------------------

HOUSING = _step(
    "housing",
    StepCategory.HOUSING,
    title=_t("Move into your first home (monthly apartment)", "最初の住まい（マンスリーマンション）に入居する"),
    body=_md(
        """
Most founders start in a furnished monthly apartment ("monthly mansion"), which can be booked from abroad
without a guarantor. **The day you move in starts the 14-day deadline for resident registration**, so mark
this step done on that day. Keep the contract: the ward office and banks ask for proof of your address.
""",
        """
多くの創業者は、海外から保証人なしで予約できる家具付きのマンスリーマンションから始めます。**入居した日から、
住民登録の14日の期限が始まります。** 入居した日にこのステップを完了にしてください。区役所や銀行で住所の確認を
求められるため、契約書を保管してください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=3,
    required_documents=_t(
        "Rental or booking contract showing the address",
        "住所が記載された賃貸借契約書または予約確認書",
    ),
    needs_upload=True,
    source_url=JETRO_GUIDE,
    depends_on=("entry",),
)

RESIDENT_REGISTRATION = _step(
    "resident-registration",
    StepCategory.REGISTRATION,
    title=_t("Register your address at the ward office (within 14 days)", "区役所で住民登録をする（14日以内）"),
    body=_md(
        """
Within **14 days of moving in**, take your residence card and passport to the ward office (区役所) of your
address and file the moving-in notification. At the same counter you join National Health Insurance and the
National Pension, and your My Number (individual number) is assigned; the My Number card is issued later on
application. Ask for two copies of your certificate of residence (住民票): banks and the Legal Affairs Bureau
need them. Upload one copy here.
""",
        """
**入居から14日以内**に、在留カードとパスポートを持って住所地の区役所へ行き、転入届（住居地の届出）を提出します。
同じ窓口で国民健康保険と国民年金に加入し、マイナンバー（個人番号）が付番されます。マイナンバーカードは申請の後に
交付されます。銀行や法務局で必要になるため、住民票の写しを2通取得しておきましょう。1通の写しをここにアップロード
してください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=1,
    deadline_days=14,
    deadline_after="housing",
    required_documents=_t(
        """
Residence card
Passport
Rental contract
""",
        """
在留カード
パスポート
賃貸借契約書
""",
    ),
    needs_upload=True,
    source_url=ISA_RESIDENCY,
    depends_on=("housing",),
)

SEAL_REGISTRATION = _step(
    "seal-registration",
    StepCategory.REGISTRATION,
    title=_t("Register your personal seal (hanko)", "印鑑登録をする"),
    body=_md(
        """
Company registration needs the representative's registered seal and its certificate (印鑑登録証明書). Order a
seal with your name from a hanko shop (from about ¥3,000), then register it at the ward office — ideally during
the resident-registration visit. Each certificate costs a few hundred yen. If you cannot register a seal, a
signature certificate from your embassy or a notary may be accepted instead: ask staff.
""",
        """
会社の設立登記には、代表者の実印と印鑑登録証明書が必要です。はんこ店で氏名の印鑑を作り（3,000円程度から）、
区役所で登録します。住民登録と同じ日に済ませると効率的です。証明書の手数料は1通数百円です。印鑑登録ができない
場合は、大使館や公証人のサイン証明書で代えられることがあります。スタッフに相談してください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=1,
    required_documents=_t(
        """
The seal to register
Residence card
""",
        """
登録する印鑑
在留カード
""",
    ),
    needs_upload=True,
    source_url=TOKYO_SEAL_REGISTRATION,
    depends_on=("resident-registration",),
)

PERSONAL_BANK = _step(
    "personal-bank",
    StepCategory.BANKING,
    title=_t("Open a personal bank account", "個人の銀行口座を開設する"),
    body=_md(
        """
You need a Japanese account to pay in the capital and to receive a salary. Large banks often expect about six
months' residence; **Japan Post Bank (ゆうちょ銀行) is usually faster** for new arrivals — check the current
rule with staff before you go. Bring your residence card, your certificate of residence and a Japanese phone
number if you already have one. Upload a copy of the bankbook page with the account details.
""",
        """
資本金の払込みや給与の受取りに、日本の口座が必要です。大手銀行は6か月程度の在留期間を求めることが多く、
**ゆうちょ銀行は比較的早く開設できる**のが一般的です。最新の条件は、行く前にスタッフに確認してください。在留
カード、住民票の写し、日本の電話番号（あれば）を持参します。口座情報のある通帳のページの写しをアップロード
してください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=14,
    required_documents=_t(
        """
Residence card
Certificate of residence
Personal seal (some banks)
""",
        """
在留カード
住民票の写し
印鑑（銀行による）
""",
    ),
    needs_upload=True,
    source_url=JETRO_GUIDE,
    depends_on=("resident-registration",),
)

MOBILE_PHONE = _step(
    "mobile-phone",
    StepCategory.HOUSING,
    title=_t("Get a Japanese mobile phone contract", "携帯電話を契約する"),
    body=_md(
        """
Carriers usually ask for your residence card and a Japanese bank account or credit card for the monthly
payments. A prepaid or budget (MVNO) SIM can bridge the first weeks. Landlords, guarantor companies and banks
will ask for a Japanese number.
""",
        """
携帯電話会社は通常、在留カードと、月額料金の支払いのための日本の銀行口座またはクレジットカードを求めます。
最初の数週間はプリペイドSIMや格安SIMでつなぐこともできます。家主、保証会社、銀行から日本の電話番号を求められ
ます。
""",
    ),
    party=Party.FOUNDER,
    duration_days=3,
    required_documents=_t(
        """
Residence card
Bank account or credit card
""",
        """
在留カード
銀行口座またはクレジットカード
""",
    ),
    source_url=JETRO_GUIDE,
    depends_on=("resident-registration", "personal-bank"),
)

LONG_TERM_LEASE = _step(
    "long-term-lease",
    StepCategory.HOUSING,
    title=_t("Rent a long-term home through a guarantor company", "保証会社を利用して長期の住まいを借りる"),
    body=_md(
        """
A standard lease needs a rent-guarantor company (保証会社): budget about **five months' rent** up front
(deposit, key money, agent's fee, first rent) plus a guarantor fee of 0.5–1 month's rent. Expect to show your
residence card, proof of income and an emergency contact in Japan; ask staff if you have no one to name. When
you move, notify the ward office of the new address within 14 days.
""",
        """
一般の賃貸契約では家賃保証会社の利用が求められます。初期費用として**家賃の約5か月分**（敷金・礼金・仲介手数料・
前家賃）と、保証料として家賃の0.5〜1か月分を見込んでください。在留カード、収入を証明する書類、日本国内の緊急
連絡先が必要です。緊急連絡先がいない場合はスタッフに相談してください。転居したら、14日以内に区役所で住所変更
の届出をしてください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=30,
    required_documents=_t(
        """
Residence card
Proof of income (contract or bank statements)
Emergency contact in Japan
""",
        """
在留カード
収入を証明する書類（契約書または預金残高）
日本国内の緊急連絡先
""",
    ),
    source_url=JETRO_GUIDE,
    depends_on=("resident-registration", "mobile-phone"),
)

# --- incorporation --------------------------------------------------------------------------------

ARTICLES = _step(
    "articles",
    StepCategory.INCORPORATION,
    title=_t("Draft and notarise the articles of incorporation", "定款を作成し、認証を受ける"),
    body=_md(
        """
Decide the company form (most founders choose a *kabushiki kaisha*, KK; a *godo kaisha*, GK, needs no
notarisation), the name, head-office address, business purposes, capital and fiscal year. A judicial scrivener
(司法書士, *shihōshoshi*) drafts the articles (定款) and, for a KK, has a notary (公証人) certify them;
electronic articles avoid the ¥40,000 stamp duty on paper ones, and the notary's fee depends on the capital
(check the current amount with staff). Order the company seal at the same time.
""",
        """
会社の形態（多くは株式会社。合同会社は定款認証が不要）、商号、本店所在地、事業目的、資本金、事業年度を決め
ます。司法書士が定款を作成し、株式会社の場合は公証人の認証を受けます。電子定款にすると紙の定款に必要な収入印紙
4万円が不要です。公証人の手数料は資本金によって異なるため、最新の金額はスタッフに確認してください。会社の
印鑑（代表者印）も同時に作りましょう。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=14,
    required_documents=_t(
        """
Draft articles of incorporation
Promoters' IDs and seal or signature certificates
Company seal
""",
        """
定款案
発起人の本人確認書類と印鑑証明書またはサイン証明書
会社の印鑑
""",
    ),
    needs_upload=True,
    source_url=MOJ_KK_INCORPORATION,
)

CAPITAL = _step(
    "capital",
    StepCategory.INCORPORATION,
    title=_t("Pay in the capital", "資本金を払い込む"),
    body=_md(
        """
After the articles are certified, each promoter pays their contribution into a promoter's Japanese bank
account; the bankbook copy or transaction record proves the payment at registration. If no promoter or
director has an address in Japan, a third party's account may be used (Ministry of Justice notice of
17 March 2017) — ask staff before choosing this route. Leave the money in the account until the company is
registered.
""",
        """
定款の認証の後、発起人が日本国内の発起人名義の口座に出資金を払い込みます。通帳の写しまたは取引明細が、登記の
際に払込みを証明します。発起人・取締役の全員が日本に住所を有しない場合は、第三者名義の口座を使うことができます
（平成29年3月17日法務省通達）。この方法を選ぶ前にスタッフに相談してください。会社の登記が済むまで、資金は口座
に残しておきます。
""",
    ),
    party=Party.FOUNDER,
    duration_days=3,
    required_documents=_t(
        """
Bankbook copy or transaction record showing the payment
Certificate of payment signed by the representative director
""",
        """
払込みを示す通帳の写しまたは取引明細
代表取締役が作成した払込証明書
""",
    ),
    needs_upload=True,
    source_url=JETRO_INCORPORATION,
    depends_on=("articles", "personal-bank"),
)

FEFTA = _step(
    "fefta",
    StepCategory.INCORPORATION,
    title=_t(
        "Foreign-investment prior notification (restricted sectors only)",
        "対内直接投資の事前届出（指定業種のみ）",
    ),
    body=_md(
        """
Under the Foreign Exchange and Foreign Trade Act (FEFTA), investing in designated sectors — for example
cybersecurity, telecoms, software for critical infrastructure or medical devices — needs a prior notification
through the Bank of Japan, filed by an agent resident in Japan; the review takes up to 30 days, usually two to
four weeks. Most startups only file a report after incorporation. Staff check your business with you and mark
this step not applicable if it does not apply.
""",
        """
外為法に基づき、指定業種（サイバーセキュリティ、通信、重要インフラ向けソフトウェア、医療機器など）への投資には、
日本に居住する代理人による日本銀行経由の事前届出が必要で、審査は原則30日以内（通常2〜4週間）です。多くの
スタートアップは設立後の事後報告で足ります。スタッフが事業内容を確認し、該当しない場合はこのステップを「対象外」
にします。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=21,
    required_documents=_t(
        """
Description of the business
Investor and shareholder details
""",
        """
事業内容の説明
投資家・株主の情報
""",
    ),
    source_url=JETRO_INCORPORATION,
)

REGISTRATION = _step(
    "registration",
    StepCategory.INCORPORATION,
    title=_t("Register the company at the Legal Affairs Bureau", "法務局で会社の設立登記をする"),
    body=_md(
        """
A judicial scrivener (司法書士) files the registration with the Legal Affairs Bureau (法務局) for the head
office; **the filing date becomes the company's incorporation date** and starts the tax and insurance deadlines
that follow. Registration tax is 0.7% of the capital, at least ¥150,000 for a KK (¥60,000 for a GK) — check the
current minimums with staff. The register is usually complete within one to two weeks: upload the certificate
of registered matters (登記事項証明書).
""",
        """
司法書士が本店所在地を管轄する法務局に設立登記を申請します。**申請日が会社の設立日**となり、この後の税・社会保険
の期限がここから始まります。登録免許税は資本金の0.7%で、株式会社は最低15万円（合同会社は6万円）です。最新の
金額はスタッフに確認してください。登記は通常1〜2週間で完了します。登記事項証明書をアップロードしてください。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=10,
    required_documents=_t(
        """
Registration application
Certified articles of incorporation
Proof of the capital payment
Directors' seal or signature certificates
Company seal registration form
""",
        """
設立登記申請書
認証済みの定款
払込みを証する書面
取締役の印鑑証明書またはサイン証明書
印鑑届書
""",
    ),
    needs_upload=True,
    source_url=MOJ_KK_INCORPORATION,
    depends_on=("capital", "fefta", "seal-registration"),
)

# --- tax and social insurance (each with its own deadline from registration) ----------------------

TAX_OFFICE = _step(
    "tax-office",
    StepCategory.TAX,
    title=_t(
        "Notify the tax office of the incorporation (within 2 months)",
        "税務署に法人設立届出書を提出する（2か月以内）",
    ),
    body=_md(
        """
File the notification of incorporation (法人設立届出書) with the tax office for the head office **within two
months of the registration date**. A tax accountant (税理士) usually files it with the other notifications,
also online through e-Tax. Attach a copy of the articles and the shareholder list, and upload the stamped copy
(or the e-Tax receipt) here.
""",
        """
本店所在地を所轄する税務署に、**設立登記の日から2か月以内**に法人設立届出書を提出します。通常は税理士が他の
届出とまとめて提出し、e-Taxでも提出できます。定款の写しと株主名簿を添付し、受付印のある控え（またはe-Taxの
受信通知）をここにアップロードしてください。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=5,
    deadline_days=60,
    deadline_after="registration",
    required_documents=_t(
        """
Notification of incorporation
Copy of the articles of incorporation
Shareholder list
""",
        """
法人設立届出書
定款の写し
株主名簿
""",
    ),
    needs_upload=True,
    source_url=NTA_NEW_CORPORATION,
    depends_on=("registration",),
)

BLUE_FORM = _step(
    "blue-form",
    StepCategory.TAX,
    title=_t("Apply for blue-form tax returns (within 3 months)", "青色申告の承認申請をする（3か月以内）"),
    body=_md(
        """
Blue-form approval (青色申告) lets the company carry losses forward and brings other tax benefits. The
application is due the day before **three months after incorporation, or the day before the end of the first
business year if that comes sooner**: the deadline shown here assumes three months, so check your fiscal year
with staff. Your tax accountant usually files it with the notification of incorporation.
""",
        """
青色申告の承認を受けると、欠損金の繰越控除などの税務上の特典を受けられます。提出期限は、**設立の日から3か月を
経過した日と、最初の事業年度終了の日のいずれか早い日の前日**です。ここに表示される期限は3か月を前提としている
ため、事業年度についてスタッフに確認してください。通常は税理士が法人設立届出書と一緒に提出します。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=5,
    deadline_days=89,
    deadline_after="registration",
    required_documents=_t("Application for approval of blue-form returns", "青色申告の承認申請書"),
    needs_upload=True,
    source_url=NTA_BLUE_FORM,
    depends_on=("registration",),
)

PAYROLL_OFFICE = _step(
    "payroll-office",
    StepCategory.TAX,
    title=_t(
        "Notify the tax office of the salary-paying office (within 1 month)",
        "給与支払事務所等の開設届出書を提出する（1か月以内）",
    ),
    body=_md(
        """
A company that pays a salary — a director's remuneration included — withholds income tax, and must file the
notification of establishment of a salary-paying office (給与支払事務所等の開設届出書) **within one month**. Small
companies usually also apply to pay the withheld tax twice a year (源泉所得税の納期の特例).
""",
        """
役員報酬を含め給与を支払う会社は源泉徴収の義務を負い、**1か月以内**に給与支払事務所等の開設届出書を提出します。
小規模な会社は、源泉所得税の納期の特例（年2回の納付）もあわせて申請するのが一般的です。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=3,
    deadline_days=30,
    deadline_after="registration",
    required_documents=_t(
        "Notification of establishment of a salary-paying office",
        "給与支払事務所等の開設届出書",
    ),
    needs_upload=True,
    source_url=JETRO_NOTIFICATIONS,
    depends_on=("registration",),
)

METROPOLITAN_TAX = _step(
    "metropolitan-tax",
    StepCategory.TAX,
    title=_t(
        "Notify the Tokyo metropolitan tax office (within 15 days)",
        "都税事務所に法人設立・設置届出書を提出する（15日以内）",
    ),
    body=_md(
        """
A company with its head office in Tokyo's 23 wards files the notification of incorporation with the
metropolitan tax office (都税事務所) **within 15 days of incorporation**; inside the 23 wards no separate filing
with the ward is needed. Attach the certificate of registered matters and a copy of the articles. This is the
shortest of the tax deadlines: file it first.
""",
        """
東京23区内に本店を置く会社は、**設立から15日以内**に都税事務所へ法人設立・設置届出書を提出します。23区内の場合、
区への届出は不要です。登記事項証明書と定款の写しを添付します。税の届出の中で最も期限が短いため、最初に提出
しましょう。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=3,
    deadline_days=15,
    deadline_after="registration",
    required_documents=_t(
        """
Notification of incorporation (Tokyo)
Certificate of registered matters
Copy of the articles of incorporation
""",
        """
法人設立・設置届出書
登記事項証明書
定款の写し
""",
    ),
    needs_upload=True,
    source_url=JETRO_NOTIFICATIONS,
    depends_on=("registration",),
)

SOCIAL_INSURANCE = _step(
    "social-insurance",
    StepCategory.TAX,
    title=_t(
        "Enrol the company in social insurance (within 5 days)",
        "社会保険（健康保険・厚生年金保険）に加入する（5日以内）",
    ),
    body=_md(
        """
Every company that pays a salary — even to a sole director — must join health insurance and the employees'
pension: file the new-application notification (新規適用届) with the Japan Pension Service **within five days**
of the obligation arising. A certified social insurance and labour consultant (社会保険労務士) often handles it.
Whether the five days run from incorporation or from the first salary is worth confirming: **check with
staff**. Labour insurance follows with your first employee.
""",
        """
給与を支払う会社は、代表者1人であっても健康保険・厚生年金保険に加入する必要があります。加入義務が生じてから
**5日以内**に、日本年金機構へ新規適用届を提出します。社会保険労務士に依頼することが多い手続きです。5日が設立日
と最初の給与のどちらから数えるかは、**スタッフに確認してください**。労働保険は最初の従業員を雇ったときに加入
します。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=5,
    deadline_days=5,
    deadline_after="registration",
    required_documents=_t(
        """
New-application notification
Certificate of registered matters
Enrolment notification for each insured person
""",
        """
新規適用届
登記事項証明書
被保険者資格取得届
""",
    ),
    needs_upload=True,
    source_url=JETRO_SOCIAL_INSURANCE,
    depends_on=("registration",),
)

# --- operating: bank, office, staff, plan ---------------------------------------------------------

CORPORATE_BANK = _step(
    "corporate-bank",
    StepCategory.BANKING,
    title=_t("Open the company's bank account and move the capital", "法人口座を開設し、資本金を移す"),
    body=_md(
        """
Apply with the certificate of registered matters, the company seal and its certificate, the articles and a
description of the business; banks screen new companies carefully and it can take several weeks. Online banks
and Japan Post Bank are often quicker than the large banks — ask staff which banks have worked for other
founders. Once the account is open, move the capital into it and upload the bank's confirmation.
""",
        """
登記事項証明書、会社の実印と印鑑証明書、定款、事業内容を説明する資料を持って申し込みます。新設法人の審査は慎重
で、数週間かかることがあります。ネット銀行やゆうちょ銀行は大手銀行より早いことが多いため、他の創業者の実績が
ある銀行をスタッフに聞いてください。口座が開設されたら資本金を移し、銀行の開設通知をアップロードしてください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=30,
    required_documents=_t(
        """
Certificate of registered matters
Company seal and seal certificate
Articles of incorporation
Business description and office lease
Representative's residence card
""",
        """
登記事項証明書
会社の実印と印鑑証明書
定款
事業内容の説明資料と事務所の賃貸借契約書
代表者の在留カード
""",
    ),
    needs_upload=True,
    source_url=JETRO_GUIDE,
    depends_on=("registration",),
)

OFFICE = _step(
    "office",
    StepCategory.INCORPORATION,
    title=_t("Lease an office", "事務所を借りる"),
    body=_md(
        """
Immigration expects a real business office: a home office does not count, and a virtual office is normally
refused. A serviced or shared office with its own lockable room is a common first step; make sure the lease
is in the company's name and allows business use and registration at the address. Office leases also need a
deposit, often several months' rent.
""",
        """
入管は実体のある事業所を求めます。自宅兼事務所は認められず、バーチャルオフィスも通常は認められません。施錠できる
個室のあるサービスオフィス・シェアオフィスから始めるのが一般的です。契約は会社名義とし、事業用途と本店の登記が
認められていることを確認してください。事務所の契約にも保証金（家賃の数か月分が多い）が必要です。
""",
    ),
    party=Party.FOUNDER,
    duration_days=30,
    required_documents=_t(
        """
Office lease in the company's name
Floor plan and photos of the office
""",
        """
会社名義の事務所の賃貸借契約書
事務所の間取り図と写真
""",
    ),
    needs_upload=True,
    source_url=ISA_BUSINESS_MANAGER_2025,
    depends_on=("registration",),
)

FIRST_HIRE = _step(
    "first-hire",
    StepCategory.INCORPORATION,
    title=_t("Hire at least one full-time employee", "常勤職員を1名以上雇用する"),
    body=_md(
        """
Since 16 October 2025 the Business Manager status needs at least one full-time employee who is a Japanese
national or a long-term resident (for example a permanent resident or the spouse of a Japanese national).
You or this employee must have Japanese at JLPT N2 / CEFR B2. On the first hire, set up labour insurance
(workers' accident and employment insurance) within 10 days and enrol the employee in social insurance within
five days.
""",
        """
2025年10月16日以降、在留資格「経営・管理」には、日本人または永住者・日本人の配偶者等の常勤職員を1名以上雇用する
ことが必要です。申請者またはその職員のいずれかが、日本語能力試験N2（CEFR B2）相当の日本語能力を有する必要が
あります。最初の雇用から10日以内に労働保険（労災保険・雇用保険）の手続きを、5日以内に社会保険の資格取得の届出を
行います。
""",
    ),
    party=Party.FOUNDER,
    duration_days=45,
    required_documents=_t(
        """
Employment contract
Employee's certificate of residence or residence card
Payroll records
Japanese-language certificate (JLPT N2 or equivalent) if the employee provides it
""",
        """
雇用契約書
職員の住民票の写しまたは在留カード
賃金台帳
日本語能力の証明書（職員が要件を満たす場合：JLPT N2等）
""",
    ),
    needs_upload=True,
    source_url=ISA_BUSINESS_MANAGER_2025,
    depends_on=("registration",),
)

PLAN_CHECK = _step(
    "plan-check",
    StepCategory.VISA,
    title=_t("Have the business plan checked by a professional", "事業計画書を専門家に確認してもらう"),
    body=_md(
        """
The Business Manager application needs a business plan checked by a certified public accountant, a tax
accountant or an SME management consultant (中小企業診断士). The plan must be realistic and show at least ¥30M
of capital or total investment. Budget for the professional's fee and allow about two weeks.
""",
        """
「経営・管理」の申請には、公認会計士・税理士・中小企業診断士の確認を受けた事業計画書が必要です。計画は実現可能
で、資本金または投資総額3,000万円以上を示すものでなければなりません。専門家への報酬を予算に入れ、2週間程度を
見込んでください。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=14,
    required_documents=_t(
        """
Business plan
The professional's confirmation of the plan
""",
        """
事業計画書
専門家による事業計画の確認書
""",
    ),
    needs_upload=True,
    source_url=ISA_BUSINESS_MANAGER_2025,
    depends_on=("registration",),
)

CHANGE_OF_STATUS_DOCUMENTS = _t(
    """
Application for change of status of residence
Certificate of registered matters
Business plan with the professional's confirmation
Office lease
Employment contract and payroll records
Proof of the capital or investment
""",
    """
在留資格変更許可申請書
登記事項証明書
専門家の確認を受けた事業計画書
事務所の賃貸借契約書
雇用契約書と賃金台帳
資本金・投資額を証明する書類
""",
)

CHANGE_OF_STATUS_STARTUP_VISA = _step(
    "change-of-status",
    StepCategory.VISA,
    title=_t("Change your status to Business Manager", "在留資格を「経営・管理」に変更する"),
    body=_md(
        """
Before your startup-visa period ends, apply to the Regional Immigration Services Bureau to change from
Designated Activities to Business Manager; an administrative scrivener (行政書士) usually files it. Until then,
send Tokyo the activity reports the Startup Visa requires. You need the ¥30M in capital or investment, the
office, the full-time employee and the checked business plan; screening takes one to three months. Upload your
new residence card when permission is granted.
""",
        """
スタートアップビザの在留期間が終わる前に、地方出入国在留管理局へ「特定活動」から「経営・管理」への在留資格変更を
申請します。通常は行政書士が申請します。それまでの間、スタートアップビザで求められる活動状況の報告を東京都に
提出してください。資本金または投資総額3,000万円、事務所、常勤職員、確認を受けた事業計画が必要で、審査には1〜3
か月かかります。許可されたら新しい在留カードをアップロードしてください。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=45,
    required_documents=CHANGE_OF_STATUS_DOCUMENTS,
    needs_upload=True,
    source_url=ISA_CHANGE_OF_STATUS,
    depends_on=("office", "first-hire", "plan-check", "corporate-bank"),
)

BUSINESS_CULTURE = _step(
    "business-culture",
    StepCategory.CULTURE,
    title=_t("Business culture in Japan: seminar and introductions", "日本のビジネス文化：セミナーと紹介"),
    body=_md(
        """
Join the ward's business-culture seminar: meeting and business-card etiquette, *nemawashi* (building
agreement before a meeting), seals and paper workflows, and how Japanese customers decide to buy. Staff also
introduce you to BDC Tokyo, JETRO's business support centre and local networks. Book a date with your
concierge.
""",
        """
区のビジネス文化セミナーに参加しましょう。会議や名刺交換のマナー、根回し、印鑑と書類を中心とした業務の流れ、
日本の顧客の購買の決め方などを学びます。スタッフがビジネスコンシェルジュ東京、JETROの支援拠点、地域のネット
ワークも紹介します。担当のコンシェルジュに日程を相談してください。
""",
    ),
    party=Party.STAFF,
    duration_days=1,
    source_url=JETRO_GUIDE,
    depends_on=("entry",),
)

OPERATING_STARTUP_VISA = _step(
    "operating",
    StepCategory.INCORPORATION,
    title=_t("Operating in Japan", "日本での事業開始"),
    body=_md(
        """
The milestone: the company is registered, has its bank account, an office and its first employee, and you
hold Business Manager status. Staff confirm it and record the date, which counts towards the ward's goal of
overseas startups brought to the ward. Congratulations — from here on, file the annual tax returns and renew
your status on time.
""",
        """
マイルストーン：会社が登記され、法人口座・事務所・最初の従業員がそろい、在留資格「経営・管理」を取得した状態です。
スタッフが確認して日付を記録し、区の「誘致した海外スタートアップ」の実績に計上されます。おめでとうございます。
今後も決算申告と在留期間の更新を期限内に行ってください。
""",
    ),
    party=Party.STAFF,
    duration_days=0,
    source_url=ISA_BUSINESS_MANAGER,
    depends_on=("registration", "corporate-bank", "office", "first-hire", "change-of-status"),
    is_milestone=True,
)

# --- Business Manager path (direct): the requirements come first, the company is set up from abroad --

BUSINESS_MANAGER_REQUIREMENTS = _step(
    "business-manager-requirements",
    StepCategory.VISA,
    title=_t("Prepare the Business Manager requirements", "「経営・管理」の要件を準備する"),
    body=_md(
        """
Since 16 October 2025 the Business Manager status requires: **¥30M** in capital or total investment; at least
one full-time employee who is Japanese or a long-term resident; three or more years of management experience
or a relevant master's degree; Japanese at JLPT N2 / CEFR B2 for you or that employee; a business plan checked
by a CPA, tax accountant or SME consultant; and a real office (not your home). Gather the evidence now and
review it with staff before anything is filed.
""",
        """
2025年10月16日以降、「経営・管理」には次の要件があります：資本金または投資総額**3,000万円**以上、日本人または
永住者等の常勤職員1名以上、3年以上の経営経験または関連する修士以上の学位、申請者またはその職員の日本語能力
（JLPT N2／CEFR B2相当）、公認会計士・税理士・中小企業診断士が確認した事業計画、自宅ではない事業所。申請の
前に証明書類を集め、スタッフと確認してください。
""",
    ),
    party=Party.FOUNDER,
    duration_days=30,
    required_documents=_t(
        """
Proof of ¥30M in funds for the business
CV with proof of 3+ years' management experience, or a master's degree
Japanese-language certificate (JLPT N2 or equivalent) if you hold one
Draft business plan
""",
        """
3,000万円の事業資金を証明する書類
3年以上の経営経験を示す職務経歴書、または修士以上の学位の証明
日本語能力の証明書（JLPT N2等、保有している場合）
事業計画書の案
""",
    ),
    needs_upload=True,
    source_url=ISA_BUSINESS_MANAGER_2025,
)

CAPITAL_FROM_ABROAD = replace(
    CAPITAL,
    body=_md(
        """
After the articles are certified, pay at least **¥30M** into a promoter's Japanese account; the bankbook copy
or transaction record proves the payment at registration. While you live abroad you usually have no Japanese
account: if no promoter or director has an address in Japan, a third party's account — a collaborator's, for
example — may be used (Ministry of Justice notice of 17 March 2017). Ask staff before choosing this route, and
keep records of where the money came from: immigration checks it.
""",
        """
定款の認証の後、日本国内の発起人名義の口座に**3,000万円**以上を払い込みます。登記の際、通帳の写しまたは取引明細
で払込みを証明します。海外に住んでいる間は日本の口座がないことが多いため、発起人・取締役の全員が日本に住所を
有しない場合は、協力者など第三者名義の口座を使うことができます（平成29年3月17日法務省通達）。この方法を選ぶ前に
スタッフに相談し、資金の出所の記録を残してください。入管が確認します。
""",
    ),
    depends_on=("articles",),
)

COE_BUSINESS_MANAGER = _step(
    "coe",
    StepCategory.VISA,
    title=_t(
        "Certificate of Eligibility for Business Manager (filed by a proxy in Japan)",
        "在留資格認定証明書（経営・管理）の交付申請（日本国内の代理人が申請）",
    ),
    body=_md(
        """
With the company registered, the office leased, the employee hired and the plan checked, a proxy in Japan —
usually an administrative scrivener (行政書士) — applies to the Regional Immigration Services Bureau for your
Certificate of Eligibility. Screening takes one to three months. The certificate goes to your proxy, who sends
it on to you: upload a copy here.
""",
        """
会社の登記、事務所の契約、職員の雇用、事業計画の確認が済んだら、日本国内の代理人（通常は行政書士）が地方出入国
在留管理局に在留資格認定証明書を申請します。審査には1〜3か月かかります。交付された証明書は代理人から本人へ
送られます。写しをここにアップロードしてください。
""",
    ),
    party=Party.PROFESSIONAL,
    duration_days=60,
    required_documents=_t(
        """
Application form and photo (4 cm × 3 cm)
Certificate of registered matters
Business plan with the professional's confirmation
Office lease
Employment contract and payroll records
Proof of the capital and of your experience or degree
""",
        """
申請書と写真（縦4cm×横3cm）
登記事項証明書
専門家の確認を受けた事業計画書
事務所の賃貸借契約書
雇用契約書と賃金台帳
資本金と経営経験または学位の証明
""",
    ),
    needs_upload=True,
    source_url=ISA_BUSINESS_MANAGER,
    depends_on=("registration", "office", "first-hire", "plan-check"),
)

CORPORATE_BANK_AFTER_ARRIVAL = replace(
    CORPORATE_BANK,
    body=_md(
        """
Banks rarely open an account for a new company whose representative lives abroad, so this usually waits until
you have registered your address. Apply with the certificate of registered matters, the company seal and its
certificate, the articles and a description of the business; screening can take several weeks, and online
banks are often quicker — ask staff which banks have worked for other founders. Once the account is open, move
the capital into it and upload the bank's confirmation.
""",
        """
代表者が海外に住んでいる新設法人の口座開設は難しいため、通常は住民登録の後に申し込みます。登記事項証明書、会社の
実印と印鑑証明書、定款、事業内容を説明する資料を持って申し込みます。審査には数週間かかることがあり、ネット銀行
のほうが早いことが多いため、他の創業者の実績がある銀行をスタッフに聞いてください。口座が開設されたら資本金を
移し、銀行の開設通知をアップロードしてください。
""",
    ),
    depends_on=("registration", "resident-registration"),
)

OPERATING_BUSINESS_MANAGER = replace(
    OPERATING_STARTUP_VISA,
    body=_md(
        """
The milestone: the company is registered, has its bank account, an office and its first employee, and you
have entered Japan with Business Manager status. Staff confirm it and record the date, which counts towards
the ward's goal of overseas startups brought to the ward. Congratulations — from here on, file the annual tax
returns and renew your status on time.
""",
        """
マイルストーン：会社が登記され、法人口座・事務所・最初の従業員がそろい、在留資格「経営・管理」で入国した状態
です。スタッフが確認して日付を記録し、区の「誘致した海外スタートアップ」の実績に計上されます。おめでとうござい
ます。今後も決算申告と在留期間の更新を期限内に行ってください。
""",
    ),
    depends_on=("registration", "corporate-bank", "office", "first-hire", "entry"),
)

# --- already resident: changing status from inside Japan ------------------------------------------

CHANGE_OF_STATUS_RESIDENT = replace(
    CHANGE_OF_STATUS_STARTUP_VISA,
    body=_md(
        """
Apply to the Regional Immigration Services Bureau to change your current status to Business Manager before it
expires; an administrative scrivener (行政書士) usually files it. Until permission is granted, stay within the
activities your current status allows — in particular, take no salary from your company unless your status
permits it. You need the ¥30M in capital or investment, the office, the full-time employee and the checked
business plan; screening takes one to three months. Upload your new residence card when permission is granted.
""",
        """
現在の在留資格の期限が切れる前に、地方出入国在留管理局へ「経営・管理」への在留資格変更を申請します。通常は
行政書士が申請します。許可されるまでは現在の在留資格で認められた活動の範囲にとどまり、特に、在留資格が認めない
限り自社から報酬を受け取らないでください。資本金または投資総額3,000万円、事務所、常勤職員、確認を受けた事業
計画が必要で、審査には1〜3か月かかります。許可されたら新しい在留カードをアップロードしてください。
""",
    ),
    depends_on=("registration", "office", "first-hire", "plan-check", "corporate-bank"),
)


TAX_STEPS = (TAX_OFFICE, BLUE_FORM, PAYROLL_OFFICE, METROPOLITAN_TAX, SOCIAL_INSURANCE)

STARTUP_VISA_STEPS = (
    STARTUP_VISA_CONFIRMATION,
    COE_STARTUP_VISA,
    VISA,
    ENTRY,
    HOUSING,
    RESIDENT_REGISTRATION,
    SEAL_REGISTRATION,
    PERSONAL_BANK,
    MOBILE_PHONE,
    BUSINESS_CULTURE,
    ARTICLES,
    FEFTA,
    CAPITAL,
    REGISTRATION,
    *TAX_STEPS,
    CORPORATE_BANK,
    OFFICE,
    FIRST_HIRE,
    PLAN_CHECK,
    LONG_TERM_LEASE,
    CHANGE_OF_STATUS_STARTUP_VISA,
    OPERATING_STARTUP_VISA,
)

BUSINESS_MANAGER_STEPS = (
    BUSINESS_MANAGER_REQUIREMENTS,
    replace(ARTICLES, depends_on=("business-manager-requirements",)),
    FEFTA,
    CAPITAL_FROM_ABROAD,
    replace(REGISTRATION, depends_on=("capital", "fefta")),
    *TAX_STEPS,
    OFFICE,
    FIRST_HIRE,
    replace(PLAN_CHECK, depends_on=("business-manager-requirements",)),
    COE_BUSINESS_MANAGER,
    VISA,
    ENTRY,
    HOUSING,
    RESIDENT_REGISTRATION,
    SEAL_REGISTRATION,
    PERSONAL_BANK,
    MOBILE_PHONE,
    BUSINESS_CULTURE,
    CORPORATE_BANK_AFTER_ARRIVAL,
    LONG_TERM_LEASE,
    OPERATING_BUSINESS_MANAGER,
)

RESIDENT_STEPS = (
    BUSINESS_MANAGER_REQUIREMENTS,
    replace(SEAL_REGISTRATION, depends_on=()),
    replace(BUSINESS_CULTURE, depends_on=()),
    replace(ARTICLES, depends_on=("business-manager-requirements",)),
    FEFTA,
    replace(CAPITAL, depends_on=("articles",)),
    REGISTRATION,
    *TAX_STEPS,
    CORPORATE_BANK,
    OFFICE,
    FIRST_HIRE,
    replace(PLAN_CHECK, depends_on=("business-manager-requirements",)),
    CHANGE_OF_STATUS_RESIDENT,
    replace(
        OPERATING_STARTUP_VISA,
        depends_on=("registration", "corporate-bank", "office", "first-hire", "change-of-status"),
    ),
)

DEFAULT_TEMPLATES: tuple[TemplateSpec, ...] = (
    TemplateSpec(
        key="tokyo-startup-visa",
        name=_t("Tokyo Startup Visa", "東京都スタートアップビザ"),
        description=_t(
            "For founders abroad who start with Tokyo's Startup Visa (Designated Activities, 6 months or 1 year, "
            "renewable up to 2 years in total), set up the company in Tokyo and then change to Business Manager.",
            "東京都のスタートアップビザ（在留資格「特定活動」、6か月または1年、通算2年まで更新可能）で入国し、東京で"
            "会社を設立してから「経営・管理」に変更する海外の創業者向けです。",
        ),
        path=LandingPath.STARTUP_VISA,
        steps=STARTUP_VISA_STEPS,
    ),
    TemplateSpec(
        key="business-manager",
        name=_t("Business Manager visa (direct)", "「経営・管理」ビザ（直接取得）"),
        description=_t(
            "For founders abroad who meet the Business Manager requirements in force since 16 October 2025 "
            "(¥30M, a full-time employee, an office, a checked business plan) and set up the company before "
            "they move.",
            "2025年10月16日以降の「経営・管理」の要件（3,000万円、常勤職員、事務所、確認を受けた事業計画）を満たし、"
            "来日前に会社を設立する海外の創業者向けです。",
        ),
        path=LandingPath.BUSINESS_MANAGER,
        steps=BUSINESS_MANAGER_STEPS,
    ),
    TemplateSpec(
        key="already-resident",
        name=_t("Already resident: change to Business Manager", "在留中の方：「経営・管理」への変更"),
        description=_t(
            "For founders who already live in Japan under another status and change to Business Manager once "
            "the company is set up.",
            "別の在留資格ですでに日本に住んでおり、会社を設立してから「経営・管理」に変更する創業者向けです。",
        ),
        path=LandingPath.RESIDENT,
        steps=RESIDENT_STEPS,
    ),
)
