"""Demo data: the texts and building blocks of the demo programme (data, not interface strings)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kakehashi.applications.models import CallState

DEMO_FOUNDER = "founder@demo.kakehashi.jp"
DEMO_SEED = 2026

VERTICALS = {
    "fintech": {
        "name": {"ja": "フィンテック", "en": "FinTech"},
        "description": {
            "ja": "決済、融資・与信、資産運用、保険、規制対応（RegTech）など、テクノロジーで金融サービスを"
            "変革するスタートアップを対象とする分野です。区内の金融機関・事業会社との協業を後押しします。",
            "en": "Startups using technology to change financial services: payments, lending and credit, "
            "wealth management, insurance and regulatory technology (RegTech). The ward connects them with "
            "its financial institutions and businesses.",
        },
    },
    "lifescience": {
        "name": {"ja": "ライフサイエンス", "en": "Life Science"},
        "description": {
            "ja": "医薬品、医療機器、再生医療、デジタルヘルス、介護・ヘルスケアサービスなど、人々の健康と"
            "医療の課題に挑むスタートアップを対象とする分野です。区内の医療機関・大学との連携を支援します。",
            "en": "Startups tackling health and medical challenges: drugs, medical devices, regenerative "
            "medicine, digital health, and care and healthcare services. The ward supports partnerships with "
            "its hospitals and universities.",
        },
    },
}

_FINTECH_DESCRIPTION = {
    "ja": (
        "区では、国内外のスタートアップと区内の金融機関・事業会社をつなぐ「フィンテック・アクセラレーター」を"
        "実施しています。決済、融資・与信、資産運用、保険、規制対応（RegTech）、金融インフラの各分野から、"
        "最大10社を採択します。\n\n"
        "【プログラム内容（6か月間）】\n"
        "・区内の地域金融機関・事業会社との実証実験（PoC）の機会\n"
        "・金融規制、資金調達、知的財産の専門家による隔週のメンタリング\n"
        "・区内インキュベーション施設のオフィススペース（無償）\n"
        "・海外パートナー拠点（シンガポール、ロンドンほか）への派遣支援\n"
        "・最終報告会（デモデイ）での投資家・事業会社向けピッチ\n\n"
        "【選考】\n"
        "書類審査（審査員3名による評価）と面談により選考し、締切からおよそ1か月後に結果をお知らせします。"
    ),
    "en": (
        "The ward's FinTech Accelerator connects startups from Japan and abroad with financial institutions "
        "and businesses in the ward. Up to ten startups are selected from payments, lending and credit, "
        "wealth management, insurance, regulatory technology (RegTech) and financial infrastructure.\n\n"
        "The programme (six months)\n"
        "- Proof-of-concept projects with regional banks and businesses in the ward\n"
        "- Fortnightly mentoring from experts in financial regulation, fundraising and intellectual property\n"
        "- Free office space in the ward's incubation centre\n"
        "- Support for a stay at our partner hubs abroad (Singapore, London and others)\n"
        "- A pitch to investors and corporate partners at the final demo day\n\n"
        "Selection\n"
        "Applications are scored by three judges, followed by interviews. Results are announced about one "
        "month after the deadline."
    ),
}

_FINTECH_ELIGIBILITY = {
    "ja": (
        "・設立10年以内の法人であること（海外法人を含みます）\n"
        "・金融分野で独自の製品・サービスを有し、試作品または実証段階以上にあること\n"
        "・プログラム期間中、月1回以上区内での活動（面談・イベント参加）が可能であること\n"
        "・海外法人の場合は、日本市場への参入計画を有すること\n"
        "・反社会的勢力と一切の関係を有しないこと"
    ),
    "en": (
        "- A company founded within the last ten years (companies registered abroad are welcome)\n"
        "- Your own financial product or service, at prototype or pilot stage or beyond\n"
        "- Able to take part in the ward at least once a month during the programme (meetings, events)\n"
        "- Companies registered abroad: a plan to enter the Japanese market\n"
        "- No links whatsoever with organised crime"
    ),
}

_LIFESCIENCE_DESCRIPTION = {
    "ja": (
        "区内には大学病院をはじめとする医療機関や研究機関が集まっています。「ライフサイエンス・アクセラ"
        "レーター」は、こうした地域の資源を活かし、医薬品、医療機器、再生医療、デジタルヘルス、介護・"
        "ヘルスケアサービスの分野で事業化を目指すスタートアップを支援するプログラムです。最大10社を採択します。\n\n"
        "【プログラム内容（6か月間）】\n"
        "・区内の医療機関・大学との共同研究や臨床研究のマッチング\n"
        "・薬事（PMDA相談）、保険償還、臨床開発の専門家によるメンタリング\n"
        "・区内ウェットラボの利用料補助とオフィススペースの提供\n"
        "・国内外の製薬企業・医療機器メーカーとの面談機会\n"
        "・最終報告会（デモデイ）での投資家向けピッチ\n\n"
        "【選考】\n"
        "公平な審査のため、書類審査では企業名と創業者名を伏せて審査員3名が評価します。"
    ),
    "en": (
        "The ward is home to university hospitals, clinics and research institutes. The Life Science "
        "Accelerator draws on them to help startups bring drugs, medical devices, regenerative medicine, "
        "digital health, and care and healthcare services to market. Up to ten startups are selected.\n\n"
        "The programme (six months)\n"
        "- Matching for joint and clinical research with hospitals and universities in the ward\n"
        "- Mentoring on regulatory strategy (PMDA consultations), reimbursement and clinical development\n"
        "- Subsidised access to wet labs in the ward, and office space\n"
        "- Meetings with pharmaceutical and medical-device companies from Japan and abroad\n"
        "- A pitch to investors at the final demo day\n\n"
        "Selection\n"
        "For a fair review, the three judges who score each application do not see the company's or the "
        "founders' names."
    ),
}

_LIFESCIENCE_ELIGIBILITY = {
    "ja": (
        "・設立10年以内の法人であること（海外法人を含みます）\n"
        "・医療・健康分野の研究開発型の事業であり、非臨床試験・臨床研究などの科学的根拠を有すること\n"
        "・プログラム期間中、月1回以上区内での活動（面談・イベント参加）が可能であること\n"
        "・海外法人の場合は、日本での臨床開発または事業展開の計画を有すること\n"
        "・反社会的勢力と一切の関係を有しないこと"
    ),
    "en": (
        "- A company founded within the last ten years (companies registered abroad are welcome)\n"
        "- A research-based health or medical business backed by scientific evidence (preclinical or "
        "clinical data)\n"
        "- Able to take part in the ward at least once a month during the programme (meetings, events)\n"
        "- Companies registered abroad: a plan for clinical development or business in Japan\n"
        "- No links whatsoever with organised crime"
    ),
}


def _criterion(ja: str, en: str, weight: int, guidance_ja: str, guidance_en: str) -> dict[str, Any]:
    return {
        "name": {"ja": ja, "en": en},
        "guidance": {"ja": guidance_ja, "en": guidance_en},
        "weight": Decimal(weight),
    }


_TEAM = _criterion(
    "チーム",
    "Team",
    25,
    "創業メンバーの経験・専門性と実行力。事業に必要な役割（技術・事業・財務）がそろっているか。",
    "The founders' experience, expertise and ability to deliver. Are the roles the business needs "
    "(technology, sales, finance) covered?",
)
_MARKET = _criterion(
    "市場性",
    "Market",
    25,
    "対象市場の規模と成長性、顧客の課題の明確さ、収益モデルの妥当性。",
    "Size and growth of the target market, how clear the customer's problem is, and whether the business "
    "model holds up.",
)
_FINTECH_TECHNOLOGY = _criterion(
    "技術・革新性",
    "Technology and innovation",
    20,
    "既存サービスに対する優位性、技術的な実現可能性、金融規制への対応の見通し、参入障壁（データ・特許等）。",
    "Advantage over existing services, technical feasibility, a credible path through financial regulation, "
    "and barriers to entry (data, patents).",
)
_LIFESCIENCE_TECHNOLOGY = _criterion(
    "科学的根拠・技術",
    "Science and technology",
    25,
    "非臨床・臨床データによる科学的根拠、技術の新規性、薬事承認・保険償還までの道筋の現実性。",
    "Scientific evidence from preclinical or clinical data, novelty of the technology, and a realistic path "
    "to regulatory approval and reimbursement.",
)
_GLOBAL = _criterion(
    "グローバル展開の可能性",
    "Global potential",
    15,
    "海外市場への展開計画とその実現可能性。海外企業の場合は、日本市場への参入計画の具体性。",
    "Plans for markets abroad and how achievable they are; for companies from abroad, how concrete the "
    "plan to enter Japan is.",
)
_FIT = _criterion(
    "区内産業との親和性",
    "Fit with the ward's industries",
    15,
    "区内の企業・金融機関・医療機関との協業や、区内での雇用創出・拠点設置が見込めるか。",
    "Prospects for partnerships with businesses, financial institutions or hospitals in the ward, and for "
    "jobs or an office in the ward.",
)

# key, vertical, state, title, summary, description, eligibility, rubric, blind fields
CALLS: list[dict[str, Any]] = [
    {
        "key": "fintech-1",
        "vertical": "fintech",
        "state": CallState.DECIDED,
        "title": {"ja": "フィンテック・アクセラレーター 第1期", "en": "FinTech Accelerator — Batch 1"},
        "summary": {
            "ja": "金融サービスの変革に挑むスタートアップを募集しました。区内金融機関との実証実験と"
            "メンタリングを6か月間提供します。",
            "en": "Our first call for startups changing financial services: six months of pilots with the "
            "ward's financial institutions, and mentoring.",
        },
        "description": _FINTECH_DESCRIPTION,
        "eligibility": _FINTECH_ELIGIBILITY,
        # The first batch scored four criteria; global potential was added for the second.
        "rubric": [
            {**_TEAM, "weight": Decimal(30)},
            {**_MARKET, "weight": Decimal(30)},
            {**_FINTECH_TECHNOLOGY, "weight": Decimal(25)},
            _FIT,
        ],
        "blind_fields": [],
    },
    {
        "key": "lifescience-1",
        "vertical": "lifescience",
        "state": CallState.CLOSED,
        "title": {"ja": "ライフサイエンス・アクセラレーター 第1期", "en": "Life Science Accelerator — Batch 1"},
        "summary": {
            "ja": "医療・健康分野のスタートアップを募集しました。区内の医療機関・大学との共同研究、薬事の"
            "専門家によるメンタリング、ウェットラボの利用を支援します。",
            "en": "For health and medical startups: joint research with the ward's hospitals and universities, "
            "mentoring from regulatory experts, and access to wet labs.",
        },
        "description": _LIFESCIENCE_DESCRIPTION,
        "eligibility": _LIFESCIENCE_ELIGIBILITY,
        "rubric": [_TEAM, {**_MARKET, "weight": Decimal(20)}, _LIFESCIENCE_TECHNOLOGY, _GLOBAL, _FIT],
        "blind_fields": ["startup_name", "founders"],
    },
    {
        "key": "fintech-2",
        "vertical": "fintech",
        "state": CallState.OPEN,
        "title": {"ja": "フィンテック・アクセラレーター 第2期 参加企業募集", "en": "FinTech Accelerator — Batch 2"},
        "summary": {
            "ja": "金融サービスの変革に挑むスタートアップを募集します。区内金融機関との実証実験、専門家による"
            "メンタリング、海外展開支援を6か月間提供します。",
            "en": "Now accepting startups changing financial services: six months of pilots with the ward's "
            "financial institutions, expert mentoring and support for expansion abroad.",
        },
        "description": _FINTECH_DESCRIPTION,
        "eligibility": _FINTECH_ELIGIBILITY,
        "rubric": [_TEAM, {**_MARKET, "weight": Decimal(20)}, _FINTECH_TECHNOLOGY, _GLOBAL, {**_FIT, "weight": 20}],
        "blind_fields": [],
    },
]


# --- what the generated startups do -----------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    summary: tuple[str, str]  # (ja, en)
    problem: tuple[str, str]
    solution: tuple[str, str]
    market: tuple[str, str]
    japan_only: bool = False


FINTECH_THEMES = [
    Theme(
        (
            "中小企業向けに、請求書データをもとに最短即日で資金化できるオンライン・ファクタリングサービスを"
            "提供しています。",
            "An online invoice-financing service that turns SMEs' receivables into cash within a day.",
        ),
        (
            "中小企業の多くは売掛金の入金まで60日以上待つ必要があり、黒字でも資金繰りに苦しんでいます。"
            "銀行融資は審査に時間がかかり、創業間もない企業には利用しづらいのが現状です。",
            "Many SMEs wait 60 days or more to be paid, so even profitable companies run short of cash. Bank "
            "loans take weeks to approve and are hard to get for young companies.",
        ),
        (
            "会計ソフト・銀行口座とのAPI連携で取引履歴を自動で取得し、独自の与信モデルで数分以内に買取条件を"
            "提示します。手数料は業界平均の半分以下です。",
            "We connect to accounting software and bank APIs, score each receivable with our own credit model "
            "and quote terms within minutes, at fees below half the industry average.",
        ),
        (
            "売掛金を持つBtoBの中小企業が主な顧客です。国内のファクタリング市場は年間約1兆円規模と推計されています。",
            "Our customers are B2B SMEs with receivables. The Japanese factoring market is estimated at about "
            "¥1 trillion a year.",
        ),
    ),
    Theme(
        (
            "在留外国人向けに、スマートフォンから低コストかつ即時に母国へ送金できるサービスを運営しています。",
            "A mobile app that lets foreign residents in Japan send money home instantly and cheaply.",
        ),
        (
            "日本に住む約340万人の外国人の多くが、高い手数料と数日かかる送金に不満を抱えています。窓口の"
            "営業時間や言葉の壁も大きな負担です。",
            "Many of the 3.4 million foreign residents in Japan pay high fees and wait days for transfers home; "
            "branch opening hours and language barriers add to the burden.",
        ),
        (
            "提携する海外の決済ネットワークを活用して手数料を従来の3分の1に抑え、12言語に対応したアプリで"
            "24時間いつでも即時に送金できます。",
            "Using partner payout networks abroad, we cut fees to a third of the usual cost and offer instant "
            "transfers around the clock in an app available in 12 languages.",
        ),
        (
            "日本からの個人送金は年間約5,000億円規模で、在留外国人の増加とともに拡大しています。",
            "Personal remittances from Japan total about ¥500 billion a year and grow with the number of "
            "foreign residents.",
        ),
    ),
    Theme(
        (
            "地域金融機関向けに、機械学習を活用したマネー・ローンダリング対策（AML）と本人確認（eKYC）の"
            "クラウドサービスを提供しています。",
            "Cloud anti-money-laundering (AML) and eKYC services for regional banks, powered by machine learning.",
        ),
        (
            "金融庁のガイドライン強化により、地域金融機関の取引モニタリング業務は急増しています。誤検知が"
            "多く、担当者が膨大なアラートの確認に追われています。",
            "Stricter regulatory guidelines have multiplied transaction-monitoring work at regional banks, and "
            "false positives bury compliance teams in alerts.",
        ),
        (
            "取引データと外部データを組み合わせた機械学習モデルにより、誤検知を約70%削減します。判断根拠を"
            "説明できる設計のため、検査・監査への対応も容易です。",
            "Our models combine transaction and external data to cut false positives by about 70%, with "
            "explainable results that make inspections and audits straightforward.",
        ),
        (
            "地方銀行・信用金庫・信用組合など国内約500の金融機関が対象です。国内のAML関連のIT投資は年間"
            "数百億円規模です。",
            "About 500 regional banks, shinkin banks and credit cooperatives in Japan; domestic spending on AML "
            "systems runs to tens of billions of yen a year.",
        ),
    ),
    Theme(
        (
            "新NISAで資産形成を始める若い世代向けに、少額から始められる資産運用アプリと金融教育コンテンツを"
            "提供しています。",
            "An investing app and financial-education content for young people starting out with Japan's NISA "
            "tax-free accounts.",
        ),
        (
            "20〜30代の多くが資産形成の必要性を感じながらも、知識不足や不安から投資を始められていません。",
            "Many people in their twenties and thirties know they should invest but hold back for lack of "
            "knowledge and confidence.",
        ),
        (
            "簡単な質問に答えるだけで最適なポートフォリオを提案し、100円から自動で積み立てられます。チャットで"
            "相談できるAIアシスタントが長く続けることを支えます。",
            "A short questionnaire proposes a portfolio, automatic saving starts from ¥100, and an AI assistant "
            "answers questions in chat to keep users investing.",
        ),
        (
            "NISA口座数は2,000万口座を超え、若い世代の新規開設が増えています。",
            "Japan has over 20 million NISA accounts, and young people are opening them fastest.",
        ),
        japan_only=True,
    ),
    Theme(
        (
            "ECサイトやシェアリングサービスの購入・利用時に、必要な保険をその場で提供できる組込型保険の"
            "プラットフォームです。",
            "An embedded-insurance platform that offers the right cover at checkout on e-commerce and sharing "
            "services.",
        ),
        (
            "従来の保険は手続きが煩雑で、少額・短期間のリスクに対応した商品がほとんどありません。",
            "Traditional insurance is cumbersome to buy and rarely covers small, short-term risks.",
        ),
        (
            "APIで事業者のサービスに保険を組み込み、利用者はワンタップで加入できます。保険会社と共同で商品を"
            "設計し、保険金の請求もオンラインで完結します。",
            "Businesses add cover to their service through our API and users join with one tap; we design "
            "products with insurers and handle claims fully online.",
        ),
        (
            "国内のEC市場は約25兆円、シェアリングエコノミー市場は約3兆円に達しており、組込型保険の潜在需要は"
            "大きいと考えています。",
            "Japan's e-commerce market is worth about ¥25 trillion and its sharing economy about ¥3 trillion: "
            "a large untapped demand for embedded cover.",
        ),
    ),
    Theme(
        (
            "商店街や地域の小売店向けに、低手数料のQRコード決済と地域ポイントの仕組みを提供しています。",
            "Low-fee QR-code payments and local loyalty points for shopping streets and neighbourhood shops.",
        ),
        (
            "個人商店にとってキャッシュレス決済の手数料（3%前後）は大きな負担で、導入が進んでいません。",
            "Payment fees of around 3% are a heavy burden for small shops, so many still take only cash.",
        ),
        (
            "手数料1%以下の決済と、自治体の地域ポイント事業と連携した会員基盤を提供し、地域内での消費の循環を"
            "促します。",
            "Payments at under 1% and a membership base linked to local-government point schemes keep spending "
            "within the community.",
        ),
        (
            "全国の商店街約1万4千か所と小規模小売店が対象です。自治体の地域ポイント事業も拡大しています。",
            "Japan's 14,000 shopping streets and their small shops; local-government point schemes are growing.",
        ),
        japan_only=True,
    ),
    Theme(
        (
            "法人カードと経費精算を一体化し、中小企業の経理業務を自動化するクラウドサービスです。",
            "A cloud service combining corporate cards and expense management to automate SME bookkeeping.",
        ),
        (
            "インボイス制度と電子帳簿保存法への対応で、中小企業の経理担当者の負担が大きく増えています。",
            "Japan's invoice system and electronic bookkeeping rules have added heavily to the workload of SME "
            "finance teams.",
        ),
        (
            "法人カードの利用データと領収書をAI-OCRで自動的に照合し、仕訳まで自動で作成します。主要な会計"
            "ソフトと連携しています。",
            "Card transactions are matched with receipts by AI-OCR and booked automatically; we integrate with "
            "the main accounting packages.",
        ),
        (
            "従業員10名以上の中小企業約50万社を主なターゲットとしています。",
            "Our main target is Japan's 500,000 SMEs with ten or more employees.",
        ),
    ),
    Theme(
        (
            "不動産や地域の事業を裏付けとするデジタル証券（セキュリティトークン）の発行・管理プラットフォームを"
            "開発しています。",
            "A platform to issue and manage security tokens backed by real estate and local businesses.",
        ),
        (
            "魅力的な不動産や地域のプロジェクトがあっても、個人投資家が少額から投資できる手段は限られています。",
            "Individuals have few ways to invest small amounts in good property or local projects.",
        ),
        (
            "ブロックチェーンを活用し、発行から配当、二次流通までを低コストで管理できる仕組みを提供します。",
            "A blockchain-based system manages issuance, distributions and secondary trading at low cost.",
        ),
        (
            "国内のセキュリティトークンの発行額は累計1,000億円を超え、急速に拡大しています。",
            "Cumulative security-token issuance in Japan has passed ¥100 billion and is growing fast.",
        ),
    ),
]

LIFESCIENCE_THEMES = [
    Theme(
        (
            "病理画像をAIで解析し、がんの診断を支援するソフトウェアを開発しています。",
            "Software that analyses pathology slides with AI to support cancer diagnosis.",
        ),
        (
            "国内の病理医は約2,700人と不足しており、地方の病院では診断までに時間がかかっています。",
            "Japan has only about 2,700 pathologists, and regional hospitals wait a long time for diagnoses.",
        ),
        (
            "数十万枚の病理画像で学習したAIが病変の候補領域と悪性度を提示し、病理医の診断時間を約40%短縮します。",
            "Trained on hundreds of thousands of slides, our AI highlights suspect regions and grades them, "
            "cutting pathologists' reading time by about 40%.",
        ),
        (
            "世界のデジタル病理市場は2030年に約30億ドル規模に達すると予測されています。プログラム医療機器"
            "（SaMD）としての承認を目指しています。",
            "The global digital-pathology market is forecast to reach about US$3 billion by 2030; we are seeking "
            "approval as software as a medical device.",
        ),
    ),
    Theme(
        (
            "iPS細胞由来の軟骨細胞を用いた、変形性膝関節症の再生医療等製品を開発しています。",
            "A regenerative therapy for knee osteoarthritis using cartilage cells derived from iPS cells.",
        ),
        (
            "国内の変形性膝関節症の患者は推定2,500万人以上に上りますが、根本的な治療法はなく、最終的には"
            "人工関節置換術に頼らざるを得ません。",
            "Over 25 million people in Japan have knee osteoarthritis, with no treatment that repairs the joint "
            "short of replacement surgery.",
        ),
        (
            "独自の分化誘導技術により高品質な軟骨細胞を安定して大量に製造し、低侵襲な手術で移植します。",
            "Our differentiation process makes high-quality cartilage cells consistently and at scale, "
            "transplanted in a minimally invasive procedure.",
        ),
        (
            "国内の人工膝関節の市場は約1,000億円です。条件及び期限付承認制度を活用し、早期の実用化を目指しています。",
            "Japan's artificial-knee market is about ¥100 billion; we aim for early approval under the "
            "conditional, time-limited pathway for regenerative products.",
        ),
    ),
    Theme(
        (
            "不眠症に対する認知行動療法をスマートフォンで提供する治療用アプリ（デジタル治療）を開発しています。",
            "A prescription app that delivers cognitive behavioural therapy for insomnia.",
        ),
        (
            "成人の約5人に1人が睡眠の悩みを抱えていますが、認知行動療法を提供できる専門家は限られ、睡眠薬に"
            "頼る治療が中心になっています。",
            "One adult in five has trouble sleeping, but few clinicians can deliver CBT for insomnia, so "
            "treatment relies on sleeping pills.",
        ),
        (
            "医師の処方のもと、アプリが睡眠日誌と個別化されたプログラムで患者を毎日サポートします。",
            "Prescribed by a doctor, the app supports patients every day with a sleep diary and a personalised "
            "programme.",
        ),
        (
            "国内の不眠症患者は推定1,000万人以上で、治療用アプリの保険適用も進みつつあります。",
            "More than 10 million people in Japan have insomnia, and therapeutic apps are starting to be reimbursed.",
        ),
    ),
    Theme(
        (
            "非接触センサーとAIを組み合わせ、高齢者の在宅での見守りと転倒予防のサービスを提供しています。",
            "Contactless sensors and AI for monitoring older people at home and preventing falls.",
        ),
        (
            "介護人材の不足が深刻になるなか、一人暮らしの高齢者の転倒や体調の急変をいかに早く見つけるかが課題です。",
            "With care workers in short supply, spotting falls and sudden illness among older people who live "
            "alone is a growing problem.",
        ),
        (
            "電波センサーで呼吸・心拍・動作をカメラなしで検知し、異常の兆候を家族や介護事業者に通知します。",
            "Radio sensors track breathing, heart rate and movement without cameras and alert families and care "
            "providers to warning signs.",
        ),
        (
            "国内の一人暮らしの高齢者は約670万人に上り、介護テックの市場は拡大を続けています。",
            "About 6.7 million older people live alone in Japan, and the care-technology market keeps growing.",
        ),
    ),
    Theme(
        (
            "AIと計算化学を組み合わせた創薬プラットフォームで、難治性疾患に対する低分子医薬品の候補を創出しています。",
            "A drug-discovery platform combining AI and computational chemistry to find small-molecule "
            "candidates for hard-to-treat diseases.",
        ),
        (
            "新薬の開発には平均で10年以上、数百億円以上の費用がかかり、候補化合物の探索段階での失敗が大きな"
            "割合を占めています。",
            "A new drug takes over ten years and tens of billions of yen to develop, and much of that is lost "
            "to failures during the search for candidates.",
        ),
        (
            "独自の生成AIモデルで候補化合物を設計し、自社ラボでの検証と組み合わせることで、探索期間を従来の"
            "半分以下に短縮します。",
            "Our generative models design candidates that we test in our own lab, cutting discovery time to "
            "less than half.",
        ),
        (
            "製薬企業との共同研究（マイルストーン型契約）を主な収益源とします。世界のAI創薬市場は年率約30%で"
            "成長しています。",
            "Revenue comes from milestone-based research partnerships with pharmaceutical companies; the AI "
            "drug-discovery market grows by about 30% a year.",
        ),
    ),
    Theme(
        (
            "少量の血液から10分で複数の感染症・炎症マーカーを測定できる、小型の迅速診断機器を開発しています。",
            "A compact point-of-care device that measures several infection and inflammation markers from a "
            "drop of blood in ten minutes.",
        ),
        (
            "診療所では血液検査の結果が外部の検査センターから届くまで1〜2日かかり、適切な治療の開始が遅れています。",
            "Clinics wait one or two days for blood results from outside laboratories, which delays the right "
            "treatment.",
        ),
        (
            "マイクロ流路チップと独自の検出技術により、診察中に検査結果を得られます。",
            "A microfluidic chip and our own detection method give results during the consultation.",
        ),
        (
            "国内の診療所は約10万施設あり、世界の臨床現場即時検査（POCT）市場は約4兆円規模です。",
            "Japan has about 100,000 clinics, and the global point-of-care testing market is worth about ¥4 trillion.",
        ),
    ),
    Theme(
        (
            "月経や更年期の症状を記録・分析し、オンライン診療につなげる女性向けのヘルスケアサービスを提供しています。",
            "A women's health service that tracks menstrual and menopausal symptoms and connects users to "
            "online consultations.",
        ),
        (
            "女性特有の健康課題による経済損失は年間約3.4兆円と試算されていますが、受診をためらう人が多いのが現状です。",
            "Women's health issues are estimated to cost Japan's economy about ¥3.4 trillion a year, yet many "
            "women hesitate to see a doctor.",
        ),
        (
            "アプリでの症状の記録とAIによる分析をもとに、必要に応じて提携医療機関のオンライン診療へスムーズに"
            "つなぎます。企業の福利厚生としても導入されています。",
            "Symptom tracking and AI analysis in the app lead, when needed, straight to online consultations "
            "with partner clinics; employers also offer it as a benefit.",
        ),
        (
            "国内のフェムテック市場は約2兆円規模と予測されています。",
            "The Japanese femtech market is forecast at about ¥2 trillion.",
        ),
    ),
    Theme(
        (
            "内視鏡検査の映像をリアルタイムで解析し、見落としやすい早期がんの発見を支援するAIを開発しています。",
            "AI that analyses endoscopy video in real time to help doctors spot early cancers that are easy to miss.",
        ),
        (
            "早期の胃がん・大腸がんは内視鏡検査でも見落とされることがあり、医師の経験によって発見率に差が"
            "生じています。",
            "Early stomach and colorectal cancers can be missed even in endoscopy, and detection rates vary "
            "with the doctor's experience.",
        ),
        (
            "検査中の映像から病変が疑われる箇所をリアルタイムで表示し、医師の経験にかかわらず高い発見率を実現します。",
            "Suspected lesions are marked on the live video, giving high detection rates whatever the doctor's "
            "experience.",
        ),
        (
            "国内では年間約1,500万件の内視鏡検査が行われています。アジアを中心とした海外展開も計画しています。",
            "About 15 million endoscopies are performed in Japan each year; we also plan to expand across Asia.",
        ),
    ),
]

# Parts of generated company names: (katakana, English).
NAME_PARTS = {
    "fintech": (
        [
            ("ペイ", "Pay"),
            ("クレド", "Credo"),
            ("レジャー", "Ledger"),
            ("コイン", "Coin"),
            ("フィナ", "Fina"),
            ("マネー", "Money"),
            ("トラスト", "Trust"),
            ("キャッシュ", "Cash"),
            ("ファンド", "Fund"),
            ("ウォレット", "Wallet"),
            ("ヤマト", "Yamato"),
            ("アサヒ", "Asahi"),
            ("ツバサ", "Tsubasa"),
            ("カナメ", "Kaname"),
        ],
        [
            ("ブリッジ", "Bridge"),
            ("ウェーブ", "Wave"),
            ("ラボ", "Labs"),
            ("リンク", "Link"),
            ("フロー", "Flow"),
            ("ノート", "Note"),
            ("ゲート", "Gate"),
            ("スタック", "Stack"),
            ("ワークス", "Works"),
            ("パス", "Path"),
            ("ワン", "One"),
        ],
    ),
    "lifescience": (
        [
            ("ジーン", "Gene"),
            ("セル", "Cell"),
            ("バイオ", "Bio"),
            ("メディ", "Medi"),
            ("ニューロ", "Neuro"),
            ("ケア", "Care"),
            ("イムノ", "Immuno"),
            ("オルガノ", "Organo"),
            ("ヘルス", "Health"),
            ("ミドリ", "Midori"),
            ("ヒカリ", "Hikari"),
            ("サクラ", "Sakura"),
            ("ルミナ", "Lumina"),
        ],
        [
            ("テック", "Tech"),
            ("セラピューティクス", " Therapeutics"),
            ("ダイナミクス", " Dynamics"),
            ("ロジック", "Logic"),
            ("サイエンス", " Science"),
            ("ゲノミクス", " Genomics"),
            ("ラボ", " Labs"),
            ("ノヴァ", "Nova"),
            ("ヴィータ", "Vita"),
            ("パス", "Path"),
            ("メディカル", " Medical"),
        ],
    ),
}


JAPANESE_WORDS = {"Yamato", "Asahi", "Tsubasa", "Kaname", "Midori", "Hikari", "Sakura"}  # names for JP startups only


@dataclass(frozen=True)
class Country:
    weight: int  # how often generated startups come from there
    suffix: str  # the legal form in English
    cities: str
    given: str
    family: str
    family_first: bool = False

    def people(self, rng: random.Random, count: int) -> list[str]:
        pairs = zip(rng.sample(self.given.split(", "), count), rng.sample(self.family.split(", "), count), strict=True)
        return [f"{family} {given}" if self.family_first else f"{given} {family}" for given, family in pairs]


COUNTRIES = {
    "JP": Country(60, "Inc.", "", "", ""),
    "US": Country(
        6, "Inc.", "San Francisco, New York, Boston, Austin",
        "Emily, Michael, Sarah, David, Jessica, Daniel", "Carter, Chen, Johnson, Park, Rivera, Brooks",
    ),
    "SG": Country(
        7, "Pte. Ltd.", "Singapore",
        "Marcus, Rachel, Darren, Joanne, Benjamin, Michelle", "Tan, Lim, Goh, Ong, Ng, Koh",
    ),
    "DE": Country(
        4, "GmbH", "Berlin, Munich, Hamburg",
        "Lena, Jonas, Anna, Felix, Sophie, Lukas", "Fischer, Becker, Schmidt, Wagner, Hoffmann, Klein",
    ),
    "FR": Country(
        4, "SAS", "Paris, Lyon, Toulouse",
        "Camille, Julien, Claire, Antoine, Manon, Hugo", "Martin, Bernard, Dubois, Laurent, Moreau, Girard",
    ),
    "KR": Country(
        5, "Co., Ltd.", "Seoul, Pangyo, Busan",
        "Min-jun, Seo-yeon, Ji-ho, Ha-eun, Do-hyun, Yu-na", "Kim, Park, Lee, Choi, Jung, Kang", family_first=True,
    ),
    "TW": Country(
        5, "Co., Ltd.", "Taipei, Hsinchu, Taichung",
        "Yi-ting, Chia-hao, Hsin-yu, Po-wei, Ya-wen", "Chen, Lin, Wang, Huang, Chang, Liu", family_first=True,
    ),
    "IN": Country(
        4, "Pvt. Ltd.", "Bengaluru, Mumbai, Hyderabad",
        "Priya, Rahul, Ananya, Vikram, Aditi, Karan", "Sharma, Mehta, Iyer, Rao, Gupta, Reddy",
    ),
    "GB": Country(
        3, "Ltd", "London, Cambridge, Edinburgh",
        "Oliver, Charlotte, James, Amelia, Harry, Emma", "Hughes, Evans, Wright, Clarke, Patel, Walker",
    ),
    "AU": Country(
        2, "Pty Ltd", "Sydney, Melbourne, Brisbane",
        "Jack, Chloe, Liam, Isla, Noah, Ruby", "Thompson, Wilson, Nguyen, Taylor, Kelly, Murphy",
    ),
}  # fmt: skip

JP_CITIES = [
    ("東京都港区", "Minato, Tokyo"),
    ("東京都渋谷区", "Shibuya, Tokyo"),
    ("東京都千代田区", "Chiyoda, Tokyo"),
    ("東京都中央区", "Chuo, Tokyo"),
    ("大阪市", "Osaka"),
    ("福岡市", "Fukuoka"),
    ("京都市", "Kyoto"),
    ("つくば市", "Tsukuba"),
]
JP_FAMILY = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "松本",
    "井上",
    "木村",
]
JP_GIVEN = ["翔太", "美咲", "大輔", "彩", "拓也", "由紀", "健太", "真由美", "陽介", "葵", "直樹", "恵", "亮", "玲奈"]

# vertical: roles as (ja, en), backgrounds as (ja, en)
FOUNDER_PROFILES = {
    "fintech": (
        [("取締役CTO", "CTO"), ("取締役COO", "COO"), ("取締役CFO", "CFO")],
        [
            ("メガバンクで法人融資を10年担当", "ten years in corporate lending at a major bank"),
            ("外資系投資銀行の出身", "former investment banker"),
            ("大手SIerで決済システムの開発に従事", "built payment systems at a large IT services firm"),
            ("東京大学大学院 情報理工学系研究科 修了", "master's degree in computer science"),
            ("証券会社でクオンツアナリストとして勤務", "former quantitative analyst at a securities firm"),
            ("ネット銀行の立ち上げに参画", "helped launch a digital bank"),
            ("監査法人で金融機関の監査を担当", "former auditor of financial institutions"),
            ("コンサルティングファームで金融機関のDXを支援", "led digital projects for banks at a consultancy"),
        ],
    ),
    "lifescience": (
        [
            ("取締役CSO（最高科学責任者）", "Chief Scientific Officer"),
            ("取締役CTO", "CTO"),
            ("CMO（医師）", "Chief Medical Officer"),
        ],
        [
            ("消化器内科医として15年の臨床経験", "gastroenterologist with 15 years of clinical practice"),
            ("京都大学大学院 医学研究科 博士（医学）", "PhD in medicine"),
            ("製薬企業で創薬研究に12年従事", "twelve years in drug discovery at a pharmaceutical company"),
            ("医療機器メーカーで薬事申請を担当", "led regulatory submissions at a medical-device maker"),
            ("国立研究開発法人の研究員", "former research scientist at a national research institute"),
            ("電機メーカーで画像処理の研究開発に従事", "image-processing research at an electronics maker"),
            ("看護師として大学病院に勤務", "former nurse at a university hospital"),
            ("ベンチャーキャピタルでヘルスケア投資を担当", "former healthcare investor at a venture capital firm"),
        ],
    ),
}

WHY_PROGRAMME = {
    "fintech": (
        [
            "区内の金融機関との実証実験の機会を得て、地域での導入実績をつくりたいと考えています。",
            "金融規制に詳しいメンターの助言を受け、必要な登録・ライセンスの取得と事業拡大を加速したいためです。",
            "プログラムの海外拠点を活用し、アジア市場への展開を早期に実現したいと考えています。",
            "区内の事業会社との協業を通じて、中小企業の顧客基盤を広げたいと考えています。",
        ],
        [
            "We want to enter the Japanese market with a local partner bank and need guidance on licensing and "
            "regulation.",
            "Access to the ward's financial institutions and corporate partners would let us run our first "
            "pilots in Japan.",
            "We are looking for a base in Tokyo and introductions to Japanese customers and investors.",
        ],
    ),
    "lifescience": (
        [
            "区内の医療機関・大学との共同研究を通じて、臨床での有効性を早期に検証したいと考えています。",
            "薬事・保険償還に詳しい専門家の支援を受け、承認取得までの道筋を明確にしたいためです。",
            "ウェットラボとオフィスを確保するとともに、国内外の製薬企業とのネットワークを広げたいと考えています。",
        ],
        [
            "We plan clinical studies in Japan and need introductions to hospitals and advice on PMDA consultations.",
            "Japan's ageing population makes it our priority market; the programme would help us find Japanese "
            "partners and distributors.",
            "We are looking for lab space in Tokyo and partners among Japanese pharmaceutical companies.",
        ],
    ),
}


# --- generation --------------------------------------------------------------------------------
