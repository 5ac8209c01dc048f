package scenarios

import (
	"fmt"
	"math/rand/v2"

	"github.com/disputes-ledger/disputes/events"
)

// bilingual is a text in Chinese with its English rendering.
type bilingual struct{ zh, en string }

func (b bilingual) String() string { return b.zh + " " + b.en }

// product is something a generated merchant sells; prices are in yuan.
type product struct {
	name               bilingual
	minYuan, maxYuan   int
	counterfeitProne   bool // brand goods: counterfeit claims are plausible
	defects            []bilingual
	notAsDescribed     bilingual
	perishable         bool // fresh food: refunds, rarely returns
	exchangeByVariants bool // sizes or colours: exchanges are common
}

// category is a merchant's line of business.
type category struct {
	name     string
	products []product
}

var catalogue = []category{
	{"digital", []product{
		{name: bilingual{"蓝牙耳机", "Bluetooth earbuds"}, minYuan: 99, maxYuan: 899, counterfeitProne: true,
			defects:        []bilingual{{"左耳无声音", "the left bud is silent"}, {"充电仓无法充电", "the case will not charge"}},
			notAsDescribed: bilingual{"不支持页面所写的降噪功能", "no noise cancelling, unlike the listing"}},
		{name: bilingual{"手机壳", "phone case"}, minYuan: 19, maxYuan: 79, exchangeByVariants: true,
			defects:        []bilingual{{"有明显划痕", "is deeply scratched"}, {"边框开裂", "has a cracked rim"}},
			notAsDescribed: bilingual{"型号不对，装不上手机", "is for another phone model"}},
		{name: bilingual{"充电宝", "power bank"}, minYuan: 79, maxYuan: 299,
			defects:        []bilingual{{"充不进电", "will not charge"}, {"使用时严重发烫", "gets dangerously hot"}},
			notAsDescribed: bilingual{"实际容量远低于标称", "holds far less than its rated capacity"}},
		{name: bilingual{"机械键盘", "mechanical keyboard"}, minYuan: 199, maxYuan: 899,
			defects:        []bilingual{{"多个按键失灵", "has several dead keys"}, {"背光不亮", "backlight does not work"}},
			notAsDescribed: bilingual{"轴体与页面描述不符", "ships with different switches than listed"}},
	}},
	{"appliance", []product{
		{name: bilingual{"空气炸锅", "air fryer"}, minYuan: 199, maxYuan: 699,
			defects:        []bilingual{{"通电后不加热", "does not heat up"}, {"内胆涂层脱落", "the basket coating peels off"}},
			notAsDescribed: bilingual{"容量与页面不符", "is smaller than listed"}},
		{name: bilingual{"电热水壶", "electric kettle"}, minYuan: 69, maxYuan: 299,
			defects:        []bilingual{{"底座漏水", "leaks at the base"}, {"无法自动断电", "does not switch off"}},
			notAsDescribed: bilingual{"颜色与图片不符", "is not the colour pictured"}},
		{name: bilingual{"扫地机器人", "robot vacuum"}, minYuan: 1299, maxYuan: 3999,
			defects:        []bilingual{{"无法回充", "cannot find its dock"}, {"主刷不转", "main brush does not turn"}},
			notAsDescribed: bilingual{"不带页面所写的拖地功能", "has no mopping, unlike the listing"}},
	}},
	{"apparel", []product{
		{name: bilingual{"运动鞋", "sneakers"}, minYuan: 299, maxYuan: 1299, counterfeitProne: true, exchangeByVariants: true,
			defects:        []bilingual{{"鞋底开胶", "soles coming unglued"}, {"鞋面有污渍", "stains on the upper"}},
			notAsDescribed: bilingual{"尺码偏小一码", "runs a size small"}},
		{name: bilingual{"连衣裙", "dress"}, minYuan: 89, maxYuan: 499, exchangeByVariants: true,
			defects:        []bilingual{{"开线", "has loose seams"}, {"有破洞", "has a hole"}},
			notAsDescribed: bilingual{"颜色与图片色差大", "colour far from the photos"}},
		{name: bilingual{"羽绒服", "down jacket"}, minYuan: 399, maxYuan: 1999, counterfeitProne: true, exchangeByVariants: true,
			defects:        []bilingual{{"严重跑绒", "sheds down everywhere"}, {"拉链损坏", "has a broken zip"}},
			notAsDescribed: bilingual{"含绒量与吊牌不符", "down content below the label"}},
	}},
	{"beauty", []product{
		{name: bilingual{"口红", "lipstick"}, minYuan: 99, maxYuan: 399, counterfeitProne: true,
			defects:        []bilingual{{"膏体断裂", "arrived snapped"}, {"有异味", "smells off"}},
			notAsDescribed: bilingual{"色号与页面不符", "is not the listed shade"}},
		{name: bilingual{"面霜", "face cream"}, minYuan: 199, maxYuan: 1299, counterfeitProne: true,
			defects:        []bilingual{{"使用后过敏", "caused a rash"}, {"已过保质期", "is past its expiry date"}},
			notAsDescribed: bilingual{"规格比页面小", "is a smaller size than listed"}},
		{name: bilingual{"香水", "perfume"}, minYuan: 299, maxYuan: 1599, counterfeitProne: true,
			defects:        []bilingual{{"喷头损坏", "has a broken sprayer"}, {"瓶身漏液", "leaks"}},
			notAsDescribed: bilingual{"香型与描述不符", "is not the scent described"}},
	}},
	{"fresh", []product{
		{name: bilingual{"车厘子", "cherries"}, minYuan: 99, maxYuan: 299, perishable: true,
			defects:        []bilingual{{"大量腐烂", "arrived largely rotten"}, {"冰袋化完、果子发软", "arrived warm and soft"}},
			notAsDescribed: bilingual{"果径明显小于页面规格", "much smaller than the listed size"}},
		{name: bilingual{"大闸蟹", "hairy crabs"}, minYuan: 199, maxYuan: 899, perishable: true,
			defects:        []bilingual{{"到货多只死蟹", "several arrived dead"}, {"有异味", "smell off"}},
			notAsDescribed: bilingual{"规格不足页面所写", "are under the listed weight"}},
		{name: bilingual{"草莓", "strawberries"}, minYuan: 59, maxYuan: 159, perishable: true,
			defects:        []bilingual{{"压烂一半", "half of them crushed"}, {"发霉", "mouldy"}},
			notAsDescribed: bilingual{"重量不足", "underweight"}},
	}},
	{"baby", []product{
		{name: bilingual{"婴儿奶粉", "infant formula"}, minYuan: 199, maxYuan: 499, counterfeitProne: true,
			defects:        []bilingual{{"罐体凹陷", "the tin is dented"}, {"奶粉结块", "the powder is caked"}},
			notAsDescribed: bilingual{"生产日期与页面不符", "production date not as listed"}},
		{name: bilingual{"纸尿裤", "diapers"}, minYuan: 99, maxYuan: 299, exchangeByVariants: true,
			defects:        []bilingual{{"侧漏严重", "leak badly"}, {"包装破损受潮", "packaging torn and damp"}},
			notAsDescribed: bilingual{"片数不足", "fewer pieces than listed"}},
	}},
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// weighted returns an index drawn with the given weights.
func weighted(rng *rand.Rand, weights ...float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := rng.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func chance(rng *rand.Rand, p float64) bool { return rng.Float64() < p }

func digits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	if b[0] == '0' {
		b[0] = '1' + byte(rng.IntN(9))
	}
	return string(b)
}

// carriers and their tracking number shapes.
var carriers = []struct{ name, prefix string }{
	{"SF Express", "SF"}, {"JD Logistics", "JDVC"}, {"ZTO Express", "ZTO"}, {"YTO Express", "YT"}, {"Yunda", "YD"}, {"EMS", "EM"},
}

func shipment(rng *rand.Rand) events.Shipment {
	c := pick(rng, carriers)
	return events.Shipment{Carrier: c.name, TrackingNumber: c.prefix + digits(rng, 13)}
}

var returnAddresses = []string{
	"浙江省杭州市余杭区仓前街道文一西路969号 售后部",
	"广东省东莞市虎门镇商贸城B区3栋 退货组",
	"江苏省苏州市吴中区木渎镇金山路182号 客服退换货",
	"上海市嘉定区马陆镇宝安公路2999号 电商仓 退货",
	"北京市大兴区亦庄经济开发区科创十一街 京东售后",
	"福建省泉州市晋江市陈埭镇 鞋业仓 售后",
	"山东省青岛市城阳区流亭街道 冷链仓 售后",
	"四川省成都市双流区西航港街道 物流园 退货",
}

var buyerChases = []bilingual{
	{"请问什么时候处理？", "When will this be handled?"},
	{"照片已上传，麻烦看一下。", "Photos are uploaded, please take a look."},
	{"麻烦尽快处理，谢谢。", "Please deal with it soon, thanks."},
	{"还有人在吗？", "Is anyone there?"},
}

var merchantConcrete = []bilingual{
	{"已收到反馈，今天18:00前答复您。", "Noted — we will reply by 18:00 today."},
	{"仓库明天中午12点前核实后回复。", "The warehouse will check and reply by noon tomorrow."},
	{"请在48小时内寄回，运费我们承担。", "Please send it back within 48 h; we cover shipping."},
	{"已登记，24小时内处理完毕。", "Logged; it will be handled within 24 h."},
}

// merchantVague promise action without a time: the policy flags them.
var merchantVague = []bilingual{
	{"亲，我们会尽快处理的。", "We'll handle it ASAP."},
	{"一般三到五天就好了哦。", "It usually sorts itself out in a few days."},
	{"马上给您处理。", "Right away!"},
	{"稍后给您回复。", "We'll get back to you shortly."},
	{"在查了。", "Checking, will be sorted soon."},
}

var rejectReasons = map[events.Reason][]bilingual{
	events.ReasonCounterfeit: {{"本店所售均为正品，有进货凭证。", "Everything we sell is genuine; invoices available."}},
	events.ReasonLogistics:   {{"物流显示已签收。", "Tracking shows it was signed for."}},
	events.ReasonNotShipped:  {{"订单已发出，物流未及时更新。", "It has shipped; the carrier is slow to update."}},
	events.ReasonNoReason:    {{"吊牌已拆，影响二次销售。", "Tags removed: it can no longer be resold."}},
}

var genericRejects = []bilingual{
	{"商品无质量问题，属正常使用痕迹。", "No defect: these are normal signs of use."},
	{"发货前已质检，图片无法证明问题。", "Checked before dispatch; the photos do not show a fault."},
	{"超出售后范围。", "Outside the scope of after-sales service."},
}

var returnProblems = []struct {
	problem events.ReturnProblem
	note    bilingual
}{
	{events.ProblemDamaged, bilingual{"退回商品有新的磕碰。", "The returned item has fresh dents."}},
	{events.ProblemPartsMissing, bilingual{"退回时缺少配件。", "Accessories missing from the return."}},
	{events.ProblemDifferentItem, bilingual{"退回的不是我店商品。", "The returned item is not ours."}},
	{events.ProblemEmptyPackage, bilingual{"收到空包裹。", "The parcel arrived empty."}},
	{events.ProblemNotReceived, bilingual{"物流显示签收但仓库未收到。", "Marked delivered but never reached the warehouse."}},
}

func yuan(fen int64) string { return fmt.Sprintf("¥%d.%02d", fen/100, fen%100) }
