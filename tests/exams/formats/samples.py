"""Sample questions of the format tests and the checks they share."""

from decimal import Decimal

from exams.questions import QuestionData, QuestionType

BANK = [
    QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（  ）。",
        options=("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
        answer=0,
        category="党章",
        points=Decimal(2),
        explanation="党章规定：党是根据自己的纲领和章程，按照民主集中制组织起来的统一整体。",
    ),
    QuestionData(
        type=QuestionType.SINGLE,
        stem="中国共产党第一次全国代表大会于（  ）年召开。",
        options=("1919", "1921", "1927", "1949"),
        answer=1,
        category="党史",
    ),
    QuestionData(
        type=QuestionType.MULTIPLE,
        stem="“三会一课”制度中的“三会”是指（  ）。",
        options=("支部党员大会", "支部委员会", "党小组会", "团支部大会"),
        answer=(0, 1, 2),
        category="党的组织生活",
        points=Decimal("1.5"),
        explanation="“三会一课”：支部党员大会、支部委员会、党小组会，按时上好党课。",
    ),
    QuestionData(
        type=QuestionType.TRUE_FALSE,
        stem="预备党员的预备期为一年，从支部大会通过其为预备党员之日算起。",
        answer=True,
        category="党章",
    ),
    QuestionData(
        type=QuestionType.TRUE_FALSE,
        stem="预备党员享有表决权、选举权和被选举权。",
        answer=False,
        category="党章",
        explanation="预备党员没有表决权、选举权和被选举权。",
    ),
    QuestionData(
        type=QuestionType.FILL,
        stem="党的最高理想和最终目标是实现____。",
        answer=(("共产主义", "共产主义社会"),),
        category="党章",
    ),
    QuestionData(
        type=QuestionType.ESSAY,
        stem="结合自身实际，谈谈你的入党动机。",
        answer="",
        category="入党动机",
    ),
]
# What GIFT cannot express: points, essay reference answers, fill-ins of several blanks.
RICH = [
    QuestionData(
        type=QuestionType.FILL,
        stem="党的最高领导机关是党的____和它所产生的中央委员会；全国代表大会每____年举行一次。",
        answer=(("全国代表大会",), ("五", "5")),
        category="党章",
        points=Decimal(2),
    ),
    QuestionData(
        type=QuestionType.ESSAY,
        stem="论述新时代党的建设总要求。",
        answer="要点：坚持和加强党的全面领导；以政治建设为统领；全面推进党的各项建设。",
        category="党的建设",
        points=Decimal(20),
    ),
]
# Characters every format has to escape or quote somehow.
TRICKY = [
    QuestionData(
        type=QuestionType.SINGLE,
        stem="在 GIFT 中 = ~ # { } : 和 \\ 都要转义：{下列}哪项是“=”的含义？",
        options=("=正确答案", "~错误答案", "-1 分", "@某人", "%50%部分分"),
        answer=0,
        category="格式/转义",
        explanation="#### 不是总评\n第二行",
    ),
    QuestionData(
        type=QuestionType.FILL,
        stem="分数三分之一写作____。",
        answer=(("1/3", "1|3", "a\\b", "*", "=x"),),
        category="格式",
    ),
    QuestionData(
        type=QuestionType.SINGLE,
        stem="[html]不是格式标签<b>也不是加粗</b>",
        options=("'=SUM(A1)", "+86"),
        answer=1,
    ),
]


GIFT = r"""// 第35期入党积极分子培训班 题库
// 由 Moodle 导出后整理

$CATEGORY: $course$/top/党章

::根本组织原则::党的根本组织原则是（  ）。{
  =民主集中制#正确！
  ~集体领导#不对。
  ~个人分工负责
  ####党章总纲：党是按照民主集中制组织起来的统一整体。
}

::三会::“三会一课”中的“三会”是指（  ）。{
  ~%33.33333%支部党员大会
  ~%33.33333%支部委员会
  ~%33.33333%党小组会
  ~%-100%团支部大会
}

预备党员的预备期为一年。{T}

预备党员享有表决权、选举权和被选举权。{FALSE#预备党员没有这些权利。}

$CATEGORY: 党史

中国共产党第一次全国代表大会于{=1921 =一九二一}年在上海召开。

党的根本组织原则是{=民主集中制 ~集体领导 ~个人分工负责}，这是党章规定的。

::动机::谈谈你的入党动机。{}

[html]<p>党的<b>最高理想</b>是实现：</p>{=共产主义}

转义测试：a\=b、c\~d、e\#f、\{g\}、h\:i、j\\k、第一行\n第二行{=\{答案\}}

::年份::中共一大召开的年份？{#1921}

::连线::连线{=毛泽东 -> 井冈山 =邓小平 -> 改革开放}
"""


AIKEN = """党的根本组织原则是（  ）。
A. 民主集中制
B. 集体领导
C. 个人分工负责
D. 少数服从多数
ANSWER: A

中国共产党第一次全国代表大会
在哪一年召开？
A) 1919
B) 1921
C) 1927
ANSWER: B
“三会一课”中的“三会”是指（  ）。
A．支部党员大会
B．支部委员会
C、党小组会
D、团支部大会
答案：ABC
"""


def messages(result) -> list[str]:
    """The messages of an import's errors."""
    return [problem.message for problem in result.errors]


def assert_refused(result, *expected: str) -> None:
    """The import was refused as a whole with exactly these messages."""
    assert not result.ok
    assert result.questions == []
    assert messages(result) == list(expected)
